"""sequences: GET /chat/v1/sequence (incremental), and sequence_contacts: GET
/chat/v2/sequence/{id}/contact, a child of sequences with one updatedAt position per sequence."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker

from unit_tests.helenacrm.config import ConfigBuilder
from unit_tests.helenacrm.request_builder import HelenaRequestBuilder
from unit_tests.helenacrm.response_builder import page, record
from unit_tests.helenacrm.utils import WINDOW_END, WINDOW_START, error_logs, last_state, read


def mock_sequences(http_mocker: HttpMocker, ids: list[str]) -> None:
    http_mocker.get(
        HelenaRequestBuilder.sequences().with_updated_window(WINDOW_START, WINDOW_END).build(),
        page("sequences", [record("sequences", id=i, updatedAt="2026-01-03T00:00:00.000Z") for i in ids]),
    )


class TestSequences(TestCase):
    @HttpMocker()
    def test_given_sequences_when_read_then_each_carries_its_executing_contact_count(
        self, http_mocker: HttpMocker
    ) -> None:
        mock_sequences(http_mocker, ["q-1"])

        output = read(ConfigBuilder().build(), "sequences", SyncMode.incremental)

        assert isinstance(output.records[0].record.data["contactExecutingCount"], int)
        assert last_state(output) == {"updatedAt": "2026-01-03T00:00:00.000000+0000"}


class TestSequenceContacts(TestCase):
    @HttpMocker()
    def test_given_two_sequences_when_read_then_contacts_are_asked_per_sequence_with_their_details(
        self, http_mocker: HttpMocker
    ) -> None:
        mock_sequences(http_mocker, ["q-1", "q-2"])
        for sequence in ("q-1", "q-2"):
            http_mocker.get(
                HelenaRequestBuilder.sequence_contacts(sequence)
                .with_updated_window(WINDOW_START, WINDOW_END)
                .build(),
                page(
                    "sequence_contacts",
                    [record("sequence_contacts", id=f"{sequence}-c", sequenceId=sequence)],
                ),
            )

        output = read(ConfigBuilder().build(), "sequence_contacts", SyncMode.incremental)

        assert sorted(r.record.data["id"] for r in output.records) == ["q-1-c", "q-2-c"]
        assert all(r.record.data["contactDetails"]["phonenumber"] for r in output.records)
        assert {s["partition"]["sequence_id"] for s in last_state(output)["states"]} == {"q-1", "q-2"}
        assert not error_logs(output)
