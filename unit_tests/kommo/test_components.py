"""components.py: 204 pages decode quietly, `_embedded` is flattened, windows page by cursor value."""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from unittest.mock import patch

import pytest
import requests
from airbyte_cdk.sources.types import StreamSlice
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from unit_tests.kommo.utils import CONNECTOR


def _response(status: int, body: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    return response


ENVELOPE = {"_page": 1, "_links": {"next": {"href": "…?page=2"}}, "_embedded": {"leads": [{"id": 1}]}}


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        pytest.param(204, b"", [{}], id="204-no-content"),
        pytest.param(200, b"", [{}], id="200-empty-body"),
        pytest.param(200, b"  \n", [{}], id="200-whitespace-body"),
        pytest.param(200, json.dumps(ENVELOPE).encode(), [ENVELOPE], id="200-hal-envelope"),
    ],
)
def test_kommo_json_decoder(
    status: int, body: bytes, expected: list, caplog: pytest.LogCaptureFixture
) -> None:
    decoder = CONNECTOR.components().KommoJsonDecoder(parameters={})

    with caplog.at_level(logging.DEBUG):
        decoded = list(decoder.decode(_response(status, body)))

    assert decoded == expected
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_kommo_json_decoder_is_accepted_for_pagination() -> None:
    # The CDK's paginators accept only JsonDecoder-like decoders; a subclass keeps that contract.
    from airbyte_cdk.sources.declarative.decoders import JsonDecoder

    assert isinstance(CONNECTOR.components().KommoJsonDecoder(parameters={}), JsonDecoder)


def test_components_load_the_way_pyairbyte_and_the_builder_inject_them() -> None:
    # They exec components.py into a fresh module that is not in sys.modules yet; dataclasses
    # with string annotations (`from __future__ import annotations`) fail to build there.
    from airbyte_cdk.sources.declarative.parsers.custom_code_compiler import (
        register_components_module_from_string,
    )

    text = CONNECTOR.components_path.read_text()
    with patch.dict(sys.modules):
        sys.modules.pop("components", None)
        sys.modules.pop("source_declarative_manifest.components", None)
        module = register_components_module_from_string(text, {"md5": hashlib.md5(text.encode()).hexdigest()})

    assert list(module.KommoJsonDecoder(parameters={}).decode(_response(204, b""))) == [{}]


@pytest.mark.parametrize(
    ("fields", "record", "expected"),
    [
        pytest.param(
            ["tags", "contacts"],
            {
                "id": 1,
                "_links": {"self": {"href": "…/leads/1"}},
                "_embedded": {
                    "tags": [{"id": 5, "name": "hot", "color": None}],
                    "contacts": [{"id": 9, "is_main": True, "_links": {"self": {"href": "…/contacts/9"}}}],
                },
            },
            {
                "id": 1,
                "tags": [{"id": 5, "name": "hot", "color": None}],
                "contacts": [{"id": 9, "is_main": True}],
            },
            id="lead-tags-and-linked-contacts",
        ),
        pytest.param(
            ["tags", "leads"],
            {"id": 2, "_embedded": {"tags": []}},
            {"id": 2, "tags": [], "leads": []},
            id="missing-list-becomes-empty",
        ),
        pytest.param(
            ["tags"],
            {"id": 3, "_embedded": None, "_links": None},
            {"id": 3, "tags": []},
            id="null-embedded",
        ),
        pytest.param(
            [],
            {"id": "01ev", "value_after": [{"lead_status": {"id": 143}}], "_embedded": {"entity": {"id": 7}}},
            {"id": "01ev", "value_after": [{"lead_status": {"id": 143}}]},
            id="nothing-lifted-event",
        ),
    ],
)
def test_kommo_embedded_flattener(fields: list[str], record: dict, expected: dict) -> None:
    CONNECTOR.components().KommoEmbeddedFlattener(parameters={}, fields=fields).transform(record)

    assert record == expected


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        pytest.param({"id": 1, "result": []}, {"id": 1, "result": {}}, id="php-empty-object-becomes-object"),
        pytest.param(
            {"id": 2, "result": {"text": "ok"}}, {"id": 2, "result": {"text": "ok"}}, id="object-kept"
        ),
        pytest.param({"id": 3, "result": None}, {"id": 3, "result": None}, id="null-kept"),
    ],
)
def test_given_php_empty_object_when_flattened_then_normalised_to_an_object(
    record: dict, expected: dict
) -> None:
    # PHP's json_encode writes an empty array-backed object as []: tasks.result, notes.params.
    CONNECTOR.components().KommoEmbeddedFlattener(parameters={}, objects=["result"]).transform(record)

    assert record == expected


def _page(rows: list[dict], page: int = 1) -> requests.Response:
    return _response(200, json.dumps({"_page": page, "_embedded": {"leads": rows}}).encode())


def _rows(*seconds: int, first_id: int = 0) -> list[dict]:
    return [{"id": first_id + n, "updated_at": second} for n, second in enumerate(seconds)]


def _seen(ids: range | list[int], second: int) -> list[list[int]]:
    """A stretch token's ``seen``: the ``[id, second]`` pairs of the pages it read so far."""
    return [[i, second] for i in ids]


def _ids(ids) -> list[int]:
    """The order a check's id list is kept in."""
    return sorted(ids, key=str)


SLICE = {"start_time": "1000", "end_time": "9000"}
STRETCH = {"from": 1000, "page": 2, "seen": _seen(range(10), 1500)}  # page 1 of a stretch: 10 rows at 1500


@pytest.mark.parametrize(
    ("rows", "token", "expected"),
    [
        pytest.param(_rows(*range(1001, 1004)), None, None, id="short-page-ends-window"),
        pytest.param([], None, None, id="204-on-first-page-ends-window"),
        pytest.param(
            _rows(*range(1001, 1011)),
            None,
            {"from": 1010, "page": 1, "skip": [9]},
            id="restart-at-last-rows-second-skipping-its-rows",
        ),
        pytest.param(
            _rows(*range(2001, 2011)),
            {"from": 1010, "page": 1, "skip": [9]},
            {"from": 2010, "page": 1, "skip": [9]},
            id="keeps-moving-forward",
        ),
        pytest.param(
            _rows(*[1500] * 10),
            None,
            {"from": 1000, "page": 2, "seen": _seen(range(10), 1500)},
            id="one-second-page-goes-on-by-position",
        ),
        pytest.param(
            _rows(*[1500] * 10),
            {"from": 1500, "page": 2, "seen": [[-1, 1500]], "skip": [-5]},
            {"from": 1500, "page": 3, "seen": [[-1, 1500], *_seen(range(10), 1500)], "skip": [-5]},
            id="burst-page-3-adds-its-rows-and-keeps-skip",
        ),
        pytest.param(_rows(*range(8992, 9002)), None, None, id="row-past-window-end-ends-window"),
        pytest.param(
            [],
            {"from": 1000, "page": 3, "seen": [*_seen(range(10), 1500), *_seen(range(10, 20), 1600)]},
            {"from": 1000, "page": 1, "check": [1600, _ids(range(10))], "passes": 1},
            id="deep-204-is-not-the-end-stretch-checked-first",
        ),
        pytest.param(
            [],
            {
                "from": 1000,
                "page": 3,
                "seen": [*_seen(range(10), 1500), *_seen(range(10, 20), 1600)],
                "check": [1600, _ids(range(10))],
                "passes": 1,
            },
            {"from": 1600, "page": 1, "skip": list(range(10, 20))},
            id="deep-204-goes-on-from-the-last-rows-second",
        ),
        pytest.param(
            _rows(1500, 1500, 1500, first_id=10),
            STRETCH,
            {"from": 1000, "page": 1, "check": [None, _ids(range(13))], "passes": 1},
            id="stretch-by-position-ends-read-it-again",
        ),
        pytest.param(
            _rows(1500, 1500, 1500, first_id=10),
            {**STRETCH, "check": [None, _ids(range(13))], "passes": 1},
            None,
            id="stretch-read-twice-alike-ends",
        ),
        pytest.param(
            _rows(1500, 1500, first_id=10),
            {**STRETCH, "check": [None, _ids(range(13))], "passes": 1},
            {"from": 1000, "page": 1, "check": [None, _ids(range(12))], "passes": 2},
            id="stretch-lost-a-row-read-it-again",
        ),
        pytest.param(
            [{"id": 10, "updated_at": 1500}, {"id": 11, "updated_at": 1500}, {"id": 11, "updated_at": 1500}],
            {**STRETCH, "check": [None, _ids(range(13))], "passes": 1},
            {"from": 1000, "page": 1, "check": [None, _ids([*range(12), 11])], "passes": 2},
            id="same-count-but-one-row-skipped-one-repeated-read-it-again",
        ),
        pytest.param(
            _rows(*[1500] * 10, first_id=10),
            {**STRETCH, "check": [None, _ids(range(13))], "passes": 1},
            {
                "from": 1000,
                "page": 3,
                "seen": _seen(range(20), 1500),
                "check": [None, _ids(range(13))],
                "passes": 1,
            },
            id="second-reading-carries-the-check",
        ),
        pytest.param(
            _rows(*[1500] * 9, 1600, first_id=10),
            STRETCH,
            {"from": 1000, "page": 1, "check": [1600, _ids(range(19))], "passes": 1},
            id="stretch-ending-in-a-jump-read-again",
        ),
        pytest.param(
            _rows(*[1500] * 9, 1600, first_id=10),
            {**STRETCH, "check": [1600, _ids(range(19))], "passes": 1},
            {"from": 1600, "page": 1, "skip": [19]},
            id="stretch-read-twice-alike-jumps",
        ),
        pytest.param(
            _rows(*range(8995, 9005), first_id=10),
            STRETCH,
            {"from": 1000, "page": 1, "check": [9001, _ids(range(16))], "passes": 1},
            id="stretch-ending-past-the-window-read-again",
        ),
    ],
)
def test_kommo_keyset_pagination(rows: list[dict], token: dict | None, expected: dict | None) -> None:
    strategy = CONNECTOR.components().KommoKeysetPagination(parameters={}, page_size=10)
    response = _page(rows, (token or {}).get("page", 1)) if rows else _response(204, b"")

    next_token = strategy.next_page_token(
        response,
        len(rows),
        None,
        last_page_token_value=token,
        stream_slice=StreamSlice(partition={}, cursor_slice=SLICE),
    )

    assert next_token == expected


def test_given_deep_204_after_pages_of_one_second_when_paging_then_fails_with_one_sentence() -> None:
    # Paging by value can't get past a second whose rows fill every page the server will give.
    strategy = CONNECTOR.components().KommoKeysetPagination(parameters={"name": "leads"}, page_size=10)

    with pytest.raises(
        AirbyteTracedException, match=r"^Kommo stopped answering leads after 20 rows all updated"
    ):
        strategy.next_page_token(
            _response(204, b""),
            0,
            None,
            last_page_token_value={"from": 1500, "page": 3, "seen": _seen(range(20), 1500)},
            stream_slice=StreamSlice(partition={}, cursor_slice=SLICE),
        )


@pytest.mark.parametrize(
    ("cursor_slice", "values", "kept"),
    [
        pytest.param(SLICE, [999, 1000, 5000, 9000, 9001], [1000, 5000, 9000], id="drops-widened-seconds"),
        pytest.param(SLICE, [None], [], id="missing-cursor-dropped"),
        pytest.param({}, [1, 99999], [1, 99999], id="no-window-keeps-all"),
        pytest.param(
            SLICE,
            [1499, 1500, 1500, 1500, 1501],
            [1500, 1501],
            id="restart-drops-the-widened-second-and-rows-it-emitted",
        ),
    ],
)
def test_kommo_window_filter(cursor_slice: dict, values: list, kept: list) -> None:
    record_filter = CONNECTOR.components().KommoWindowFilter(
        parameters={}, config={}, cursor_field="created_at"
    )
    records = [{"id": n, "created_at": value} for n, value in enumerate(values)]
    # a keyset restart at 1500 whose rows 1 and 2 were emitted by the page before
    token = {"next_page_token": {"from": 1500, "page": 1, "skip": [1, 2]}} if 1500 in values else None

    result = record_filter.filter_records(
        records,
        stream_state={},
        stream_slice=StreamSlice(partition={}, cursor_slice=cursor_slice),
        next_page_token=token,
    )

    assert [r["created_at"] for r in result] == kept


@pytest.mark.parametrize(
    ("token", "value"),
    [
        pytest.param(None, 998, id="before-the-window"),
        pytest.param(None, 9002, id="after-the-window"),
        pytest.param({"from": 5000, "page": 1}, 4998, id="before-a-keyset-restart"),
    ],
)
def test_given_row_outside_the_requested_range_when_filtered_then_fails_with_one_sentence(
    token: dict | None, value: int
) -> None:
    # amoCRM calls filtering an alpha feature on some accounts: a server ignoring it must not be trusted.
    record_filter = CONNECTOR.components().KommoWindowFilter(parameters={"name": "leads"}, config={})
    rows = [{"id": 1, "updated_at": 5000}, {"id": 2, "updated_at": value}]

    with pytest.raises(
        AirbyteTracedException, match=rf"^Kommo returned a leads row with updated_at {value}, outside"
    ):
        list(
            record_filter.filter_records(
                rows,
                {},
                StreamSlice(partition={}, cursor_slice=SLICE),
                {"next_page_token": token} if token else None,
            )
        )


def _numbered_page(count: int, page: int) -> requests.Response:
    return _response(
        200, json.dumps({"_page": page, "_embedded": {"events": [{"id": "e"}] * count}}).encode()
    )


@pytest.mark.parametrize(
    ("response", "token", "expected"),
    [
        pytest.param(_numbered_page(10, 1), 1, 2, id="full-page-next-number"),
        pytest.param(_numbered_page(3, 2), 2, None, id="short-page-ends"),
        pytest.param(_response(204, b""), 1, None, id="204-on-first-page-ends"),
        pytest.param(_response(204, b""), 3, 3, id="list-without-window-204-after-full-page-asked-again"),
        pytest.param(_numbered_page(10, 3), "again-3", 4, id="spurious-204-then-rows-go-on"),
        pytest.param(_response(204, b""), "again-3", None, id="second-204-ends"),
    ],
)
def test_kommo_page_increment(response: requests.Response, token: object, expected: int | None) -> None:
    components = CONNECTOR.components()
    strategy = components.KommoPageIncrement(
        config={},
        page_size=10,
        parameters={"name": "events"},
        start_from_page=1,
        inject_on_first_request=True,
    )
    if token == "again-3":
        token = strategy.next_page_token(_response(204, b""), 0, None, 3)  # the token that asks page 3 again

    next_token = strategy.next_page_token(response, 0, None, token)

    assert next_token == expected


def test_given_204_after_full_page_in_a_window_when_paging_then_window_split_instead_of_ended() -> None:
    # A server that stops at a fixed page depth answers the same 204 however often it is asked.
    from airbyte_cdk.sources.streams.http.request_window_split_exception import (
        RequestWindowSplitRequiredException,
    )

    strategy = CONNECTOR.components().KommoPageIncrement(
        config={}, page_size=10, parameters={"name": "tasks"}, start_from_page=1
    )
    window = StreamSlice(partition={}, cursor_slice=SLICE)

    assert strategy.next_page_token(_response(204, b""), 0, None, None, stream_slice=window) is None
    with pytest.raises(RequestWindowSplitRequiredException):
        strategy.next_page_token(_response(204, b""), 0, None, 3, stream_slice=window)


def test_kommo_page_increment_fails_on_a_page_echoing_another_number() -> None:
    strategy = CONNECTOR.components().KommoPageIncrement(
        config={}, page_size=10, parameters={"name": "events"}, start_from_page=1
    )

    with pytest.raises(
        AirbyteTracedException,
        match=r"^Kommo answered page 2 of events with page 1: the server repeats pages",
    ):
        strategy.next_page_token(_numbered_page(10, 1), 10, None, 2)


def test_kommo_keyset_pagination_gives_up_on_a_stretch_that_keeps_changing() -> None:
    strategy = CONNECTOR.components().KommoKeysetPagination(parameters={"name": "leads"}, page_size=10)
    token = {**STRETCH, "check": [None, _ids(range(14))], "passes": 5}  # five readings, all different

    with pytest.raises(AirbyteTracedException, match=r"^Kommo's leads kept changing while 13 rows"):
        strategy.next_page_token(
            _page(_rows(1500, 1500, 1500, first_id=10), 2),
            3,
            None,
            last_page_token_value=token,
            stream_slice=StreamSlice(partition={}, cursor_slice=SLICE),
        )


def test_given_a_stretch_read_again_when_filtered_then_rows_it_emitted_are_not_emitted_twice() -> None:
    components = CONNECTOR.components()
    strategy = components.KommoKeysetPagination(parameters={"name": "leads"}, page_size=10)
    record_filter = components.KommoWindowFilter(parameters={"name": "leads"}, config={})
    window = StreamSlice(partition={}, cursor_slice=SLICE)
    # page 2 of a stretch ends it: ids 0..2 of this page and 7, 8 of page 1 were emitted
    token = strategy.next_page_token(
        _page(_rows(1500, 1500, 1500), 2),
        3,
        None,
        {"from": 1000, "page": 2, "seen": _seen([7, 8], 1500)},
        stream_slice=window,
    )
    rows = [{"id": n, "updated_at": 1500} for n in (1, 7, 42)]

    again = [r["id"] for r in record_filter.filter_records(rows, {}, stream_slice=window)]
    other_read = [
        r["id"] for r in record_filter.filter_records(rows, {}, StreamSlice(partition={}, cursor_slice=SLICE))
    ]
    assert token == {"from": 1000, "page": 1, "check": [None, _ids([7, 8, 0, 1, 2])], "passes": 1}
    assert again == [42]  # only what the first reading missed
    assert other_read == [1, 7, 42]  # another read of the same window is not affected

    # the second reading reads the same ids again: the stretch is complete, nothing is dropped any more
    assert (
        strategy.next_page_token(
            _page(_rows(1500, 1500, 1500), 2),
            3,
            None,
            {**token, "page": 2, "seen": _seen([7, 8], 1500)},
            stream_slice=window,
        )
        is None
    )
    assert [r["id"] for r in record_filter.filter_records(rows, {}, stream_slice=window)] == [1, 7, 42]
