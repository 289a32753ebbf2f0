"""The two CPU baselines a connector's per-record cost is compared with, on the same pages.

(a) ``bare``: a declarative manifest generated here with nothing but a requester, a
    ``DpathExtractor`` and a ``PageIncrement`` paginator — no components, no transformations,
    no incremental cursor, an open schema. What the CDK itself costs per record.
(b) ``raw``: ``bench/raw_loop.py``, a plain ``requests`` loop printing RECORD messages.

Both read the same path with the query parameters that shape the records (``with=``,
``IncludeDetails=``…) copied from the connector's own requests in the same invocation, so they
receive the same records; they only skip the connector's windows and filters.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench import proc
from bench.connector import ENTRY_POINT, connector_env
from bench.traffic import Hit

RAW_LOOP = Path(__file__).with_name("raw_loop.py")


@dataclass(frozen=True)
class BaselineSpec:
    stream: str  # the connector stream whose per-record CPU is compared
    path: str  # below the API's mount, e.g. "/api/v4/leads"
    records_at: tuple[str, ...]  # where the record list sits in a page; () = the page is the list
    page_param: str
    size_param: str
    page_size: int
    start_page: int = 1
    more_flag: str | None = None  # envelope flag saying another page exists (else: a full page)
    copy_params: tuple[str, ...] = ()  # record-shaping query params to copy from the connector
    fixed_params: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def shaping_params(spec: BaselineSpec, hits: list[Hit]) -> list[tuple[str, str]]:
    """The record-shaping params of the connector's first request to the baseline's path."""
    for hit in hits:
        if hit.path.rstrip("/") == spec.path:
            return [(k, v) for k in spec.copy_params for v in hit.query.get(k, [])] + list(spec.fixed_params)
    return list(spec.fixed_params)


def bare_manifest(spec: BaselineSpec, params: list[tuple[str, str]]) -> dict[str, Any]:
    request_parameters: dict[str, str] = {}
    for key, value in params:  # a repeated key becomes one comma-joined value
        request_parameters[key] = f"{request_parameters[key]},{value}" if key in request_parameters else value
    requester: dict[str, Any] = {
        "type": "HttpRequester",
        "url_base": "{{ config['url_base'] }}",
        "path": spec.path,
        "http_method": "GET",
        "authenticator": {"type": "BearerAuthenticator", "api_token": "{{ config['token'] }}"},
    }
    if request_parameters:
        requester["request_parameters"] = request_parameters
    return {
        "version": "7.39.1",
        "type": "DeclarativeSource",
        "check": {"type": "CheckStream", "stream_names": [spec.stream]},
        "streams": [
            {
                "type": "DeclarativeStream",
                "name": spec.stream,
                "schema_loader": {
                    "type": "InlineSchemaLoader",
                    "schema": {"type": "object", "additionalProperties": True, "properties": {}},
                },
                "retriever": {
                    "type": "SimpleRetriever",
                    "requester": requester,
                    "record_selector": {
                        "type": "RecordSelector",
                        "extractor": {"type": "DpathExtractor", "field_path": list(spec.records_at)},
                    },
                    "paginator": {
                        "type": "DefaultPaginator",
                        "page_token_option": {
                            "type": "RequestOption",
                            "inject_into": "request_parameter",
                            "field_name": spec.page_param,
                        },
                        "page_size_option": {
                            "type": "RequestOption",
                            "inject_into": "request_parameter",
                            "field_name": spec.size_param,
                        },
                        "pagination_strategy": {
                            "type": "PageIncrement",
                            "page_size": spec.page_size,
                            "start_from_page": spec.start_page,
                            "inject_on_first_request": True,
                        },
                    },
                },
            }
        ],
        "spec": {
            "type": "Spec",
            "connection_specification": {
                "type": "object",
                "properties": {"url_base": {"type": "string"}, "token": {"type": "string"}},
            },
        },
    }


def run_bare(
    spec: BaselineSpec, params: list[tuple[str, str]], mount_url: str, token: str, workdir: Path
) -> proc.RunResult:
    workdir.mkdir(parents=True, exist_ok=True)
    manifest = workdir / "bare.manifest.yaml"
    manifest.write_text(yaml.safe_dump(bare_manifest(spec, params), sort_keys=False))
    config = proc.write_json(workdir, "bare.config.json", {"url_base": mount_url, "token": token})
    stream = {"name": spec.stream, "json_schema": {}, "supported_sync_modes": ["full_refresh"]}
    catalog = proc.write_json(
        workdir,
        "bare.catalog.json",
        {"streams": [{"stream": stream, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}]},
    )
    argv = [ENTRY_POINT, "read", "--config", str(config), "--catalog", str(catalog)]
    argv += ["--manifest-path", str(manifest)]
    return proc.run(argv, env=connector_env())


def run_raw(spec: BaselineSpec, params: list[tuple[str, str]], mount_url: str, token: str) -> proc.RunResult:
    job = {
        "url": mount_url + spec.path,
        "token": token,
        "stream": spec.stream,
        "params": params,
        "records_at": list(spec.records_at),
        "page_param": spec.page_param,
        "size_param": spec.size_param,
        "page_size": spec.page_size,
        "start_page": spec.start_page,
        "more_flag": spec.more_flag,
    }
    return proc.run([sys.executable, str(RAW_LOOP), json.dumps(job)], env=connector_env())


def bare_startup(workdir: Path) -> proc.RunResult:
    """``discover`` with the bare manifest written by ``run_bare``: interpreter, CDK import, manifest parse."""
    argv = [ENTRY_POINT, "discover", "--config", str(workdir / "bare.config.json")]
    argv += ["--manifest-path", str(workdir / "bare.manifest.yaml")]
    return proc.run(argv, env=connector_env())


def raw_startup() -> proc.RunResult:
    """The raw loop's fixed cost: the interpreter and its imports."""
    return proc.run([sys.executable, "-c", "import json, sys, time, requests"], env=connector_env())
