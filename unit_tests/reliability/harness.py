"""Shared machinery of the reliability suite: targets, ground truth, hooks, runners, outcomes.

Every run goes through the real entry point (``source-declarative-manifest`` in a subprocess,
``unit_tests.helpers.cli``) against a sandbox of its own, so cells can run in parallel without
seeing each other's faults. The sandbox is the ground truth: the ids a stream must deliver are
computed from its seeded data, not from another run of the connector.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox import registry
from sandbox.app import ApiApp
from sandbox.faults import FaultRule
from sandbox.http import Request, Response
from sandbox.server import SandboxServer
from unit_tests.helpers.cli import (
    ENTRY_POINT,
    CliOutput,
    configured_catalog,
    parse_messages,
    run_cli,
    write_inputs,
)
from unit_tests.helpers.connector import Connector

# Recognisable secrets: every scenario runs with these, and the secret scan looks for them.
SECRET_TOKEN = "RELIABILITY-SECRET-TOKEN-7f3a9c1e"
SECRETS: set[str] = {SECRET_TOKEN}  # plus each Conversas private key's JSON and its private parts
# Everything every run printed this session: (label, stdout, stderr), for the secret scan.
CAPTURED: list[tuple[str, str, str]] = []
_CAPTURE_LOCK = threading.Lock()


def capture(label: str, output: CliOutput) -> CliOutput:
    with _CAPTURE_LOCK:
        CAPTURED.append((label, output.stdout, output.stderr))
    return output


# --- targets: which stream, how to key its records, what the sandbox says exists --------------
def _kommo_ids(collection: str) -> Callable[[ApiApp], dict[Any, Any]]:
    def truth(app: ApiApp) -> dict[Any, Any]:
        c = app.data.collections[collection]  # type: ignore[attr-defined]
        cursor = "created_at" if collection == "events" else "updated_at"
        out = {}
        for i in range(len(c.timeline)):
            record = c.build(i, c.value(i))
            out[record["id"]] = record[cursor]
        for ts, _, record in c.extra:
            out[record["id"]] = ts
        return out

    return truth


def _helena_contacts(app: ApiApp) -> dict[Any, Any]:
    d = app.data  # type: ignore[attr-defined]
    return {d.id("contact", i): d.contact(i, set())["updatedAt"] for i in range(d.contacts.count)}


def _helena_messages(app: ApiApp) -> dict[Any, Any]:
    d = app.data  # type: ignore[attr-defined]
    out = {}
    for s in range(d.sessions.count):
        for j in range(d.message_count(s)):
            out[d.id("message", s * 1000 + j)] = None
    return out


def _helena_session_with_messages(app: ApiApp) -> dict[str, str | None]:
    """The first page of messages of the sixth session that has any."""
    d = app.data  # type: ignore[attr-defined]
    session = next(s for s in range(5, d.sessions.count) if d.message_count(s) > 0)
    return {"SessionId": d.id("session", session), "PageNumber": None}


def _conversas_contact_with_history(app: ApiApp) -> dict[str, str | None]:
    """The first history page of the sixth contact whose history has pages under the current key."""
    data = app.data  # type: ignore[attr-defined]
    index = next(
        i
        for i in range(5, data.contact_count)
        if app._history_records(i) > 0 and not data.quirks(i).old_kid  # type: ignore[attr-defined]
    )
    return {"customer_id": data.contact_ids()[index], "page": None}


def _conversas_contacts(app: ApiApp) -> dict[Any, Any]:
    return {cid: None for cid in app.data.contact_ids()}  # type: ignore[attr-defined]


def _conversas_history(app: ApiApp) -> dict[Any, Any]:
    out = {}
    for i, cid in enumerate(app.data.contact_ids()):  # type: ignore[attr-defined]
        for page in range(1, app._history_records(i) + 1):  # type: ignore[attr-defined]
            out[(cid, page)] = None
    return out


@dataclass(frozen=True)
class Target:
    connector: str  # connector / sandbox API name
    stream: str
    path: str  # substring of the request path that only this stream's requests contain
    truth: Callable[[ApiApp], dict[Any, Any]]
    key: Callable[[dict[str, Any]], Any] = lambda r: r["id"]
    # sync settings that give multi-page windows at test size
    config: dict[str, Any] = field(default_factory=dict)
    mode: str = "incremental"
    # the request a mid-paging fault hits: the first with these query values (None: absent, as on
    # a first page), after `after` of them; a callable picks them from the app's data
    query: dict[str, str | None] | Callable[[ApiApp], dict[str, str | None]] = field(
        default_factory=lambda: {"page": "2"}
    )
    after: int = 0
    # targets of one connector sharing a group are read in one sync (their faults hit different
    # paths); a parent and its child can't share one: the parent's URLs are the child's too
    group: str = "main"

    def query_for(self, app: ApiApp) -> dict[str, str | None]:
        return self.query(app) if callable(self.query) else dict(self.query)

    @property
    def id(self) -> str:
        return f"{self.connector}:{self.stream}"


TARGETS = {
    t.id: t
    for t in [
        # Kommo: 250 per page (events 100), windows of 365 days: every window spans pages.
        # One worker, so the second request of a stream is the second page of its first window
        # whatever the paging token looks like.
        Target(
            "kommo",
            "events",
            "/api/v4/events",
            _kommo_ids("events"),
            # One window, so the fault's second request is a page in the middle of paging (with
            # 7-day event windows it was a window's first page: a 204 there is an empty window).
            config={"window_days": 365, "events_window_days": 365, "num_workers": 1},
            query={},
            after=1,
        ),
        Target(
            "kommo",
            "leads",
            "/api/v4/leads",
            _kommo_ids("leads"),
            config={"window_days": 365, "num_workers": 1},
            query={},
            after=1,
        ),
        # HelenaCRM: 100 per page; one window, so each status partition spans pages.
        Target(
            "helenacrm",
            "contacts",
            "/core/v1/contact",
            _helena_contacts,
            config={"window_in_days": 3650},
            query={"PageNumber": "2"},
        ),
        # messages: a child of sessions, mostly one page per session: faults hit one session's page.
        Target(
            "helenacrm", "messages", "/chat/v1/message", _helena_messages, query=_helena_session_with_messages
        ),
        # Conversas: contacts are bare arrays of 100; history is one JWE page per request.
        Target(
            "rd-station-conversas",
            "contacts",
            "/v2/customers",
            _conversas_contacts,
            key=lambda r: r["_id"],
            mode="full_refresh",
        ),
        Target(
            "rd-station-conversas",
            "messages_history",
            "/v2/messages/history",
            _conversas_history,
            key=lambda r: (r["customer_id"], r["page"]),
            query=_conversas_contact_with_history,
            group="history",
        ),
    ]
}


# --- sandboxes -----------------------------------------------------------------------------------
def make_app(connector: str, **options: Any) -> ApiApp:
    options.setdefault("windows", [])
    options.setdefault("token", SECRET_TOKEN)
    app = registry.create_app(connector, **options)
    if hasattr(app, "private_jwk"):
        key = json.loads(app.private_jwk())
        with _CAPTURE_LOCK:
            SECRETS.add(app.private_jwk())
            SECRETS.update(str(key[part]) for part in ("d", "p", "q", "dp", "dq", "qi") if part in key)
    return app


@contextmanager
def serve(app: ApiApp) -> Iterator[SandboxServer]:
    with SandboxServer([app]) as server:
        yield server


def config_for(server: SandboxServer, connector: str, **overrides: Any) -> dict[str, Any]:
    return {**server.config(connector), **overrides}


class RequestLog:
    """Wraps an app's ``handle`` to record every request (path, query, status, start, end).

    An entry is added when the request arrives (``end`` None while it is being answered), so a
    request the server is still hanging on is visible too.
    """

    def __init__(self, app: ApiApp) -> None:
        self.entries: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        original = app.handle

        def handle(request: Request) -> tuple[Response, str | None]:
            entry: dict[str, Any] = {
                "path": request.path,
                "query": request.query,
                "status": None,
                "transport": None,
                "start": time.monotonic(),
                "end": None,
            }
            with self._lock:
                self.entries.append(entry)
            response, transport = original(request)
            with self._lock:
                entry.update(status=response.status, transport=transport, end=time.monotonic())
            return response, transport

        app.handle = handle  # type: ignore[method-assign]

    def to(self, path: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self.entries if path in e["path"]]


class TargetedFaults:
    """The sandbox's own fault rules, aimed at requests with given query values (e.g. page 2).

    ``FaultRule.path`` matches the path only; a rule here may add ``query`` ({"page": "2"}; None for
    "absent", as on a first page) so a fault lands in the middle of paging. The rule still goes through ``ApiApp._answer``, so each
    fault looks exactly like the sandbox's built-in one. Rules without ``query`` behave as usual.
    """

    def __init__(self, app: ApiApp, rules: list[dict[str, Any]]) -> None:
        self.rules = [
            (FaultRule(**{k: v for k, v in r.items() if k != "query"}), r.get("query") or {}) for r in rules
        ]
        self._local = threading.local()
        original_handle, original_pick, plan = app.handle, app.faults.pick, app.faults

        def handle(request: Request) -> tuple[Response, str | None]:
            self._local.request = request
            return original_handle(request)

        def pick(path: str) -> FaultRule | None:
            request = getattr(self._local, "request", None)
            with self._lock:
                for rule, query in self.rules:
                    if request is None or any(request.arg(k) != v for k, v in query.items()):
                        continue
                    if rule.matches(path):
                        if rule.kind == "expire_token":
                            plan.token_expired = True
                            return None
                        return rule
            return original_pick(path)

        self._lock = threading.Lock()
        app.handle = handle  # type: ignore[method-assign]
        app.faults.pick = pick  # type: ignore[method-assign]

    def fired(self) -> list[int]:
        return [rule.fired for rule, _ in self.rules]


def rewrite_responses(app: ApiApp, rewrite: Callable[[Request, Response], Response]) -> None:
    """Post-process every routed response (a fault-free hook: runs after auth and the fault plan)."""
    original = app._dispatch

    def dispatch(request: Request) -> Response:
        return rewrite(request, original(request))

    app._dispatch = dispatch  # type: ignore[method-assign]


# --- catalogs ------------------------------------------------------------------------------------
_CATALOGS: dict[str, dict[str, Any]] = {}
_CATALOG_LOCK = threading.Lock()


def catalog(connector: str) -> dict[str, Any]:
    """The discovered catalog of a connector (discovered once per session, through the CLI)."""
    with _CATALOG_LOCK:
        if connector not in _CATALOGS:
            app = make_app(connector)
            with serve(app) as server:
                output = run_cli(Connector(connector), "discover", config=server.config(connector))
            assert output.returncode == 0, output.stderr[-2000:]
            _CATALOGS[connector] = output.catalog
        return _CATALOGS[connector]


def catalog_for(connector: str, streams: list[str], mode: str = "incremental") -> dict[str, Any]:
    return configured_catalog(catalog(connector), streams, mode)


# --- running -------------------------------------------------------------------------------------
@dataclass
class Run:
    """A finished (or killed) connector run and how long it took."""

    output: CliOutput
    seconds: float
    timed_out: bool = False


class Activity:
    """When an app last received a request: a connector that stops asking (stuck on a retry it
    can never win, or hung) is told apart from one that is merely slow."""

    def __init__(self, app: ApiApp) -> None:
        self.last = time.monotonic()
        original = app.handle

        def handle(request: Request) -> tuple[Response, str | None]:
            self.last = time.monotonic()
            return original(request)

        app.handle = handle  # type: ignore[method-assign]

    def idle_for(self) -> float:
        return time.monotonic() - self.last


def run_read(
    connector: str,
    config: dict[str, Any],
    streams: list[str],
    mode: str = "incremental",
    state: list[dict[str, Any]] | None = None,
    timeout: float = 240,
    extra_args: list[str] | None = None,
    activity: Activity | None = None,
    idle: float | None = None,
) -> Run:
    """``read`` through the real entry point (what ``run_cli`` runs), killed rather than awaited
    when it outlives ``timeout``, or when ``activity`` shows no request for ``idle`` seconds."""
    conn = Connector(connector)
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        catalog = catalog_for(connector, streams, mode)
        args = [ENTRY_POINT, "read", *write_inputs(Path(tmp), config, catalog, state)]
        args += ["--manifest-path", str(conn.manifest_path), "--components-path", str(conn.components_path)]
        args += extra_args or []
        env = {**os.environ, "AIRBYTE_ENABLE_UNSAFE_CODE": "true"}
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        killed = False
        while True:
            try:
                stdout, stderr = proc.communicate(timeout=1)
                break
            except subprocess.TimeoutExpired:
                stalled = activity is not None and idle is not None and activity.idle_for() > idle
                if time.monotonic() - start > timeout or stalled:
                    proc.kill()
                    killed = True
                    stdout, stderr = proc.communicate()
                    break
    output = CliOutput(-9 if killed else proc.returncode, stdout, stderr, parse_messages(stdout))
    label = f"{connector} read {streams}" + (" (killed)" if killed else "")
    return Run(capture(label, output), time.monotonic() - start, killed)


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def run_command(connector: str, command: str, config: dict[str, Any], timeout: float = 120) -> CliOutput:
    return capture(
        f"{connector} {command}", run_cli(Connector(connector), command, config=config, timeout=timeout)
    )


def check_in_process(connector: str, config: dict[str, Any]) -> CliOutput:
    """``check`` through the CDK's ``AirbyteEntrypoint`` in this process (what the CLI runs after
    building the source), for tables of many configs where a process start-up per row costs too
    much. The text is exactly what the entry point would print, log lines included."""
    with _IN_PROCESS_LOCK:
        return _check_in_process(connector, config)


_IN_PROCESS_LOCK = threading.Lock()  # one components module and one root logger per process


def _check_in_process(connector: str, config: dict[str, Any]) -> CliOutput:
    import logging
    from io import StringIO

    from airbyte_cdk.entrypoint import AirbyteEntrypoint
    from airbyte_cdk.logger import AirbyteLogFormatter
    from airbyte_cdk.utils.traced_exception import AirbyteTracedException

    lines: list[str] = []
    returncode = 0
    buffer = StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(AirbyteLogFormatter())
    root = logging.getLogger("")
    root.addHandler(handler)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "config.json"
            path.write_text(json.dumps(config))
            try:
                entrypoint = AirbyteEntrypoint(Connector(connector).source(config))
                for message in entrypoint.run(entrypoint.parse_args(["check", "--config", str(path)])):
                    lines.append(message)
            except Exception as exc:  # noqa: BLE001 - the CLI turns an escaping exception into a trace
                returncode = 1
                traced = (
                    exc
                    if isinstance(exc, AirbyteTracedException)
                    else AirbyteTracedException.from_exception(exc)
                )
                lines.append(
                    AirbyteEntrypoint.airbyte_message_to_string(traced.as_sanitized_airbyte_message())
                )
    finally:
        root.removeHandler(handler)
    stdout = "\n".join(lines + buffer.getvalue().splitlines()) + "\n"
    return capture(
        f"{connector} check (in-process)", CliOutput(returncode, stdout, "", parse_messages(stdout))
    )


class StreamingRun:
    """A ``read`` subprocess whose stdout is parsed as it arrives, so a test can SIGKILL it mid-sync."""

    def __init__(
        self,
        connector: str,
        config: dict[str, Any],
        catalog: dict[str, Any],
        state: list[dict[str, Any]] | None = None,
    ) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        conn = Connector(connector)
        args = [ENTRY_POINT, "read", *write_inputs(Path(self._tmp.name), config, catalog, state)]
        args += ["--manifest-path", str(conn.manifest_path), "--components-path", str(conn.components_path)]
        env = {**os.environ, "AIRBYTE_ENABLE_UNSAFE_CODE": "true"}
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, bufsize=1
        )
        self.lines: list[str] = []
        self.messages: list[dict[str, Any]] = []
        self._stderr: list[str] = []
        self._err_thread = threading.Thread(target=self._drain_stderr, daemon=True)
        self._err_thread.start()

    def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._stderr.append(line)

    def read_until(self, stop: Callable[[dict[str, Any]], bool], timeout: float = 120) -> bool:
        """Consume messages until ``stop(message)`` is true (True) or the process ends (False)."""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        for line in self.proc.stdout:
            self.lines.append(line)
            if line.startswith("{"):
                try:
                    message = json.loads(line)
                except json.JSONDecodeError:
                    continue
                self.messages.append(message)
                if stop(message):
                    return True
            if time.monotonic() > deadline:
                raise TimeoutError("the connector did not reach the kill point in time")
        return False

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL: no cleanup, no final state
        self.proc.wait(timeout=30)
        self._close()

    def finish(self, timeout: float = 240) -> CliOutput:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
        self.proc.wait(timeout=timeout)
        self._close()
        stdout = "".join(self.lines)
        output = CliOutput(self.proc.returncode, stdout, "".join(self._stderr), parse_messages(stdout))
        return capture("streaming read", output)

    def output(self) -> CliOutput:
        stdout = "".join(self.lines)
        output = CliOutput(self.proc.returncode or -9, stdout, "".join(self._stderr), parse_messages(stdout))
        return capture("streaming read (killed)", output)

    def _close(self) -> None:
        self._err_thread.join(timeout=5)
        self._tmp.cleanup()


def parallel(jobs: list[Callable[[], Any]], workers: int = 6) -> list[Any]:
    """Run independent jobs (each with its own sandbox and subprocess) at once; keep their order."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda job: job(), jobs))


# --- outcomes ------------------------------------------------------------------------------------
@dataclass
class Outcome:
    """What a run delivered, measured against the sandbox's truth."""

    outcome: str  # complete | failed | silent_loss | hung
    expected: int
    delivered: int  # distinct expected records delivered
    duplicates: int
    missing: int
    unexpected: int
    states: int
    states_before_error: int
    error: str | None
    failure_type: str | None
    returncode: int
    seconds: float

    @property
    def ok(self) -> bool:
        """Either every record exactly as the sandbox has it, or a clear failure."""
        return self.outcome == "complete" or (self.outcome == "failed" and clear_message(self.error))

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def clear_message(message: str | None) -> bool:
    """One readable sentence: present, short, no traceback, not the CDK's generic fallback
    ("An unexpected error occurred in stream x: KeyError"), which tells the user nothing."""
    if not message:
        return False
    return (
        len(message) <= 400
        and "Traceback" not in message
        and "\n" not in message.strip()
        and "unexpected error" not in message.lower()
    )


def stream_errors(output: CliOutput, stream: str) -> list[dict[str, Any]]:
    """The trace errors that concern ``stream``: its own, or sync-wide ones that name no stream."""
    errors = output.errors
    own = [e for e in errors if (e.get("stream_descriptor") or {}).get("name") == stream]
    if own:
        return own
    named = [e for e in errors if e.get("stream_descriptor")]
    if named:  # another stream failed; this one only if the sync-wide summary names it
        return [
            e for e in errors if not e.get("stream_descriptor") and f"{stream}:" in (e.get("message") or "")
        ]
    return errors


def measure(run: Run, target: Target, truth: dict[Any, Any]) -> Outcome:
    output = run.output
    delivered = Counter(target.key(r) for r in output.records_of(target.stream))
    expected = set(truth)
    missing = expected - set(delivered)
    unexpected = set(delivered) - expected
    duplicates = sum(n - 1 for n in delivered.values() if n > 1)
    errors = stream_errors(output, target.stream)
    error = errors[0] if errors else None
    states_before_error = 0
    for message in output.messages:
        if message.get("type") == "TRACE" and message["trace"]["type"] == "ERROR" and error is not None:
            if message["trace"]["error"] is error or message["trace"]["error"] == error:
                break
        if (
            message.get("type") == "STATE"
            and message["state"]["stream"]["stream_descriptor"]["name"] == target.stream
        ):
            states_before_error += 1
    if run.timed_out:
        outcome = "hung"
    elif errors or (output.returncode != 0 and not output.errors):
        outcome = "failed"
    elif missing or unexpected:
        outcome = "silent_loss"
    else:
        outcome = "complete"
    return Outcome(
        outcome=outcome,
        expected=len(expected),
        delivered=len(expected & set(delivered)),
        duplicates=duplicates,
        missing=len(missing),
        unexpected=len(unexpected),
        states=sum(1 for s in output.states if s["stream"]["stream_descriptor"]["name"] == target.stream),
        states_before_error=states_before_error,
        error=(error.get("message") if error else None),
        failure_type=(error.get("failure_type") if error else None),
        returncode=output.returncode,
        seconds=round(run.seconds, 1),
    )


# --- running the whole suite's syncs at once -----------------------------------------------------
class Background:
    """Every reliability module's syncs, started together when collection ends.

    Each module exposes ``plan(items, soak) -> [(key, job)]`` for its selected tests; the conftest
    submits all jobs to one pool (longest modules first) and each module's fixture collects its
    own results. Most of a sync's time is backoff and latency, so running every module's syncs at
    once is what keeps the suite to a few minutes. Without the conftest (or for a module it did
    not plan) a module runs its jobs itself.
    """

    def __init__(self) -> None:
        self.executor: ThreadPoolExecutor | None = None
        self.futures: dict[str, dict[Any, Any]] = {}

    def start(self, plans: list[tuple[str, list[tuple[Any, Callable[[], Any]]]]], workers: int = 8) -> None:
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reliability")
        for module, jobs in plans:
            self.futures[module] = {key: self.executor.submit(job) for key, job in jobs}

    def results(self, module: str, jobs: Callable[[], list[tuple[Any, Callable[[], Any]]]]) -> dict[Any, Any]:
        futures = self.futures.get(module)
        if futures is None:
            planned = jobs()
            return dict(zip([k for k, _ in planned], parallel([j for _, j in planned]), strict=True))
        return {key: future.result() for key, future in futures.items()}

    def wait_all(self) -> None:
        for futures in self.futures.values():
            for future in futures.values():
                future.exception()

    def shutdown(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)


BACKGROUND = Background()


def selected_params(items: list[Any], module: str, *names: str) -> list[tuple[Any, ...]]:
    """The parameter tuples of a module's selected tests (one per test, in order, deduplicated)."""
    out: list[tuple[Any, ...]] = []
    for item in items:
        if item.module.__name__ == module and hasattr(item, "callspec"):
            if all(n in item.callspec.params for n in names):
                params = tuple(item.callspec.params[n] for n in names)
                if params not in out:
                    out.append(params)
    return out
