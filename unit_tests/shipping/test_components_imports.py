"""components.py may import only what Airbyte's runtimes have: the standard library, the CDK and the
CDK's own (non-optional) dependencies.

Airbyte's manifest-only base image (airbyte/source-declarative-manifest) and the Connector
Builder's runtime install the CDK and nothing else, so a components.py importing another package
(jwcrypto, say) works in this venv and fails to load in every Airbyte deployment.
"""

import ast
import re
import sys
from importlib.metadata import packages_distributions, requires
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
COMPONENTS = sorted(REPO.glob("source-*/components.py"))


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def available_modules() -> set[str]:
    """Top-level modules of the stdlib, the CDK and its required (not extra) dependencies."""
    required = {
        _normalized(re.split(r"[ ;<>=!~\[(]", spec, maxsplit=1)[0])
        for spec in requires("airbyte-cdk") or []
        if "extra ==" not in spec
    } | {"airbyte-cdk"}
    from_dists = {
        module
        for module, dists in packages_distributions().items()
        if any(_normalized(d) in required for d in dists)
    }
    return set(sys.stdlib_module_names) | from_dists


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module.split(".")[0])
    return modules


def test_the_check_knows_what_the_base_image_lacks() -> None:
    available = available_modules()
    assert {"airbyte_cdk", "cryptography", "orjson", "requests", "json"} <= available
    assert "jwcrypto" not in available and "pytest" not in available


@pytest.mark.parametrize("path", COMPONENTS, ids=[p.parent.name for p in COMPONENTS])
def test_given_components_when_imports_listed_then_all_exist_in_airbyte_runtimes(path: Path) -> None:
    missing = imported_modules(path) - available_modules()

    assert not missing, (
        f"{path.parent.name}/components.py imports {sorted(missing)}, absent from Airbyte's runtimes"
    )
