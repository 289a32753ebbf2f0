"""The sandbox's own machinery: routing, auth, rate windows, faults, admin API."""

from __future__ import annotations

import json

import pytest
import requests

from sandbox.app import ApiApp
from sandbox.http import Response
from sandbox.ratelimit import MovingWindowLimiter, Window
from sandbox.server import SandboxServer


class EchoApp(ApiApp):
    name = "echo"
    default_windows = (Window(3, 60),)

    def routes(self):
        return [("GET", r"/items", lambda request, match: Response.json({"items": [1, 2, 3]}))]

    def unauthorized(self):
        return Response.json({"error": "unauthorized"}, 401)

    def too_many_requests(self):
        return Response.html("<html>slow down</html>", 429)

    def error(self, status, message):
        return Response.json({"error": message}, status)

    def truth(self):
        return {"items": 3}

    def connector_config(self, base_url):
        return {"api_base_url": base_url}


AUTH = {"Authorization": "Bearer sandbox-token"}


@pytest.fixture()
def echo():
    with SandboxServer([EchoApp()]) as server:
        yield server


@pytest.mark.parametrize(
    ("windows", "hits", "admitted"),
    [
        pytest.param([Window(2, 10)], [0, 1, 2], [True, True, False], id="third-in-window-rejected"),
        pytest.param([Window(2, 10)], [0, 1, 10.5], [True, True, True], id="window-slides"),
        pytest.param(
            [Window(5, 10), Window(2, 1)], [0, 0.1, 0.2, 1.5], [True, True, False, True], id="burst-window"
        ),
        pytest.param([], [0, 0, 0], [True, True, True], id="no-limit"),
    ],
)
def test_moving_window_limiter(windows, hits, admitted):
    limiter = MovingWindowLimiter(windows)
    assert [limiter.admit(now=t) for t in hits] == admitted


def test_given_valid_token_when_get_then_routed_and_counted(echo):
    response = requests.get(echo.url("echo") + "/items", headers=AUTH, timeout=5)
    assert response.json() == {"items": [1, 2, 3]}
    assert echo.app("echo").stats.as_dict()["requests"] == 1


def test_given_wrong_token_when_get_then_401(echo):
    response = requests.get(echo.url("echo") + "/items", headers={"Authorization": "Bearer nope"}, timeout=5)
    assert response.status_code == 401


def test_given_rate_limit_when_exceeded_then_429_counted(echo):
    statuses = [
        requests.get(echo.url("echo") + "/items", headers=AUTH, timeout=5).status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    assert echo.app("echo").stats.http_429 == 1


@pytest.mark.parametrize(
    ("rule", "exception"),
    [
        pytest.param({"kind": "reset"}, requests.ConnectionError, id="reset"),
        pytest.param({"kind": "truncate"}, requests.exceptions.ChunkedEncodingError, id="truncate"),
        pytest.param({"kind": "hang", "seconds": 2}, requests.ReadTimeout, id="hang"),
    ],
)
def test_given_transport_fault_when_get_then_client_sees_it_once(echo, rule, exception):
    requests.post(echo.root_url + "/_admin/echo/faults", data=json.dumps([rule]), timeout=5)
    with pytest.raises(exception):
        requests.get(echo.url("echo") + "/items", headers=AUTH, timeout=1).json()
    assert requests.get(echo.url("echo") + "/items", headers=AUTH, timeout=5).status_code == 200


def test_given_status_fault_after_n_when_get_then_only_that_request_fails(echo):
    echo.app("echo").faults.set([{"kind": "status", "status": 503, "after": 1}])
    statuses = [
        requests.get(echo.url("echo") + "/items", headers=AUTH, timeout=5).status_code for _ in range(3)
    ]
    assert statuses == [200, 503, 200]


def test_given_expire_token_fault_when_get_then_401_from_then_on(echo):
    echo.app("echo").faults.set([{"kind": "expire_token", "after": 1}])
    statuses = [
        requests.get(echo.url("echo") + "/items", headers=AUTH, timeout=5).status_code for _ in range(3)
    ]
    assert statuses == [200, 401, 401]


def test_admin_truth_and_config(echo):
    assert requests.get(echo.root_url + "/_admin/echo/truth", timeout=5).json() == {"items": 3}
    assert requests.get(echo.root_url + "/_admin/echo/config", timeout=5).json() == {
        "api_base_url": echo.url("echo")
    }
