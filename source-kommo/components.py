"""Custom components for source-kommo: only what the declarative language cannot say."""

from collections.abc import Generator, Mapping, MutableMapping
from dataclasses import InitVar, dataclass
from typing import Any

import requests
from airbyte_cdk.sources.declarative.decoders.json_decoder import JsonDecoder


@dataclass
class KommoJsonDecoder(JsonDecoder):
    """JSON decoder that reads Kommo's HTTP 204 "no content" pages as an empty page, quietly.

    Kommo answers an empty result, and any page past the last one, with ``204 No Content`` and an
    empty body instead of an empty ``_embedded`` list. The stock ``JsonDecoder`` logs an ERROR
    ("Failed to parse JSON data") for every such page before falling back to ``{}``, so a normal
    sync of an account with an empty stream would be full of error lines. This decoder yields the
    same ``{}`` without trying to parse, so the selector finds no records and paging stops.

    Example: ``GET /api/v4/leads?page=4&limit=250`` after 3 pages -> ``HTTP/1.1 204`` with ``b""``.
    """

    parameters: InitVar[Mapping[str, Any]]

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__init__(parameters=parameters)

    def decode(self, response: requests.Response) -> Generator[MutableMapping[str, Any], None, None]:
        if response.status_code == 204 or not response.content.strip():
            yield {}
            return
        yield from super().decode(response)
