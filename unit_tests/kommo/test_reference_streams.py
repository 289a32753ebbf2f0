"""account, user_groups, roles, unsorted, catalogs, catalog_elements, customers: small lists."""

from __future__ import annotations

from unittest import TestCase

from airbyte_cdk.test.mock_http import HttpMocker, HttpResponse

from unit_tests.kommo.config import ConfigBuilder
from unit_tests.kommo.request_builder import KommoRequestBuilder
from unit_tests.kommo.response_builder import problem
from unit_tests.kommo.utils import error_logs, read

ACCOUNT = (
    '{"id": 31727418, "name": "Acme", "subdomain": "acme", "currency": "BRL", "country": "BR",'
    ' "_links": {"self": {"href": "https://acme.kommo.com/api/v4/account"}},'
    ' "_embedded": {"users_groups": [{"id": 0, "name": "Sales", "uuid": null}],'
    ' "task_types": [{"id": 1, "name": "Follow-up", "color": null, "icon_id": null, "code": "FOLLOW_UP"}],'
    ' "datetime_settings": []}}'
)


def _list(key: str, rows: str, page: int = 1) -> HttpResponse:
    return HttpResponse(f'{{"_page": {page}, "_links": {{}}, "_embedded": {{"{key}": [{rows}]}}}}', 200)


class TestReferenceStreams(TestCase):
    @HttpMocker()
    def test_given_account_when_read_then_one_record_with_task_types_groups_and_settings(
        self, http_mocker: HttpMocker
    ) -> None:
        request = KommoRequestBuilder("account")
        request._params["with"] = "task_types,users_groups,datetime_settings"
        http_mocker.get(request.build(), HttpResponse(ACCOUNT, 200))

        output = read(ConfigBuilder().build(), "account")

        data = output.records[0].record.data
        assert (data["currency"], data["task_types"][0]["code"]) == ("BRL", "FOLLOW_UP")
        assert data["datetime_settings"] == {}  # PHP's [] for an empty object
        assert "_embedded" not in data and "_links" not in data

    @HttpMocker()
    def test_given_account_groups_when_read_user_groups_then_one_row_per_group(
        self, http_mocker: HttpMocker
    ) -> None:
        request = KommoRequestBuilder("account")
        request._params["with"] = "users_groups"
        http_mocker.get(request.build(), HttpResponse(ACCOUNT, 200))

        output = read(ConfigBuilder().build(), "user_groups")

        assert [r.record.data["name"] for r in output.records] == ["Sales"]

    @HttpMocker()
    def test_given_catalogs_when_read_elements_then_each_catalog_paged_with_a_catalog_id(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(
            KommoRequestBuilder("catalogs").with_page(1).build(),
            _list("catalogs", '{"id": 5001, "name": "Products"}, {"id": 5002, "name": "Invoices"}'),
        )
        http_mocker.get(
            KommoRequestBuilder("catalogs/5001/elements").with_page(1).build(),
            _list("elements", '{"id": 1, "name": "Plan A"}, {"id": 2, "name": "Plan B"}'),
        )
        http_mocker.get(
            KommoRequestBuilder("catalogs/5002/elements").with_page(1).build(), HttpResponse("", 204)
        )

        output = read(ConfigBuilder().build(), "catalog_elements")

        assert sorted((r.record.data["catalog_id"], r.record.data["id"]) for r in output.records) == [
            (5001, 1),
            (5001, 2),
        ]
        assert error_logs(output) == []

    @HttpMocker()
    def test_given_plan_without_customers_when_read_then_402_skips_the_stream_with_a_warning(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(
            KommoRequestBuilder("customers").with_page(1).build(),
            problem(402, "Customers are not available on the account's plan"),
        )

        output = read(ConfigBuilder().build(), "customers")

        assert output.records == [] and output.errors == []
        assert any("Skipping stream customers: Kommo answered 402" in m.log.message for m in output.logs)

    @HttpMocker()
    def test_given_unsorted_lead_with_php_empty_metadata_when_read_then_uid_key_and_metadata_object(
        self, http_mocker: HttpMocker
    ) -> None:
        http_mocker.get(
            KommoRequestBuilder("leads/unsorted").with_page(1).build(),
            _list(
                "unsorted",
                '{"uid": "a1b2", "category": "chats", "metadata": [], "_embedded": {"leads": [{"id": 7}], "contacts": []}}',
            ),
        )

        data = read(ConfigBuilder().build(), "unsorted").records[0].record.data

        assert (data["uid"], data["metadata"], data["leads"], data["companies"]) == (
            "a1b2",
            {},
            [{"id": 7}],
            [],
        )
