"""Load a connector's manifest and components in-process, the way the manifest-only image does.

Every manifest refers to its classes as ``source_declarative_manifest.components.X``. Three
connectors share that module name, so the helper registers the right ``components.py`` under
it just before the source is built (the factory resolves classes at build time).
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from airbyte_cdk.models import ConfiguredAirbyteCatalog, SyncMode
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
from airbyte_cdk.test.catalog_builder import CatalogBuilder, ConfiguredAirbyteStreamBuilder
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput, discover, make_file, read
from airbyte_cdk.test.entrypoint_wrapper import _run_command as run_command

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPONENTS_MODULE = "source_declarative_manifest.components"


class Connector:
    """One connector folder (``source-<name>``): its manifest, components and an in-process source."""

    _modules: dict[str, ModuleType] = {}

    def __init__(self, name: str) -> None:
        self.name = name
        self.folder = REPO_ROOT / f"source-{name}"
        self.manifest_path = self.folder / "manifest.yaml"
        self.components_path = self.folder / "components.py"

    @cached_property
    def manifest(self) -> dict[str, Any]:
        return yaml.safe_load(self.manifest_path.read_text())

    def components(self) -> ModuleType:
        """Import components.py once and (re)register it as source_declarative_manifest.components."""
        module = self._modules.get(self.name)
        if module is None:
            spec = importlib.util.spec_from_file_location(COMPONENTS_MODULE, self.components_path)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            sys.modules[COMPONENTS_MODULE] = module
            spec.loader.exec_module(module)
            self._modules[self.name] = module
        sys.modules[COMPONENTS_MODULE] = module
        sys.modules["components"] = module
        return module

    def source(
        self,
        config: dict[str, Any] | None = None,
        catalog: ConfiguredAirbyteCatalog | None = None,
        state: list[Any] | None = None,
    ) -> ConcurrentDeclarativeSource:
        self.components()
        return ConcurrentDeclarativeSource(
            catalog=catalog, config=config, state=state, source_config=self.manifest
        )

    # --- commands, in-process through the CDK's entrypoint ---------------------------------
    def spec(self) -> EntrypointOutput:
        return run_command(self.source(), ["spec"])

    def check(self, config: dict[str, Any]) -> EntrypointOutput:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            config_file = make_file(Path(tmp) / "config.json", config)
            return run_command(self.source(config), ["check", "--config", config_file])

    def discover(self, config: dict[str, Any], **kwargs: Any) -> EntrypointOutput:
        return discover(self.source(config), config, **kwargs)

    def read(
        self,
        config: dict[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: list[Any] | None = None,
        **kwargs: Any,
    ) -> EntrypointOutput:
        return read(self.source(config, catalog, state), config, catalog, state, **kwargs)


def connectors_with_sandbox() -> list[str]:
    """Connector names that have both a manifest and a sandbox emulation to run against."""
    from sandbox import registry

    return [name for name in registry.available() if Connector(name).manifest_path.exists()]


def catalog_for(streams: list[str], sync_mode: SyncMode = SyncMode.full_refresh) -> ConfiguredAirbyteCatalog:
    """A configured catalog for the named streams, all in one sync mode."""
    builder = CatalogBuilder()
    for name in streams:
        builder.with_stream(ConfiguredAirbyteStreamBuilder().with_name(name).with_sync_mode(sync_mode))
    return builder.build()
