"""What the image definition puts into an image, computed from the Dockerfile without a container engine.

``make test`` runs where no Docker or podman is installed, yet must prove what an image holds.
This reads docker-images/Dockerfile.manifest-only-connector and its .dockerignore the way a
builder does: the ignore file decides the build context (the connector folder minus what it
excludes), then each ``WORKDIR``/``COPY`` places context files in the image. Instructions whose
effect on files can't be known without running them (``RUN``, ``ADD``) are refused, so a change
that makes the answer unknowable fails the tests instead of passing them.
"""

from __future__ import annotations

import fnmatch
import shlex
import shutil
from pathlib import Path, PurePosixPath

from unit_tests.helpers.connector import REPO_ROOT

DOCKERFILE = REPO_ROOT / "docker-images" / "Dockerfile.manifest-only-connector"
IGNOREFILE = DOCKERFILE.with_name(DOCKERFILE.name + ".dockerignore")
WORKDIR = PurePosixPath("/airbyte/integration_code")
# Instructions that change no files taken from the context.
_NO_FILES = {"ARG", "FROM", "USER", "ENTRYPOINT", "CMD", "ENV", "LABEL", "EXPOSE"}


def _instructions(dockerfile: Path) -> list[tuple[str, str]]:
    lines, current = [], ""
    for raw in dockerfile.read_text().splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        keyword, _, rest = current.partition(" ")
        lines.append((keyword.upper(), rest.strip()))
        current = ""
    return lines


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern matching the path, or one of its parent folders, decides."""
    parts = PurePosixPath(path).parts
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        if any(fnmatch.fnmatchcase(c, pattern) for c in candidates):
            ignored = not negated
    return ignored


def build_context(folder: Path, ignorefile: Path = IGNOREFILE) -> list[str]:
    """The files of ``folder`` a builder receives as context (relative POSIX paths)."""
    patterns = [
        line.strip()
        for line in (ignorefile.read_text().splitlines() if ignorefile.exists() else [])
        if line.strip() and not line.strip().startswith("#")
    ]
    files = (p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    return sorted(f for f in files if not _ignored(f, patterns))


def image_files(
    folder: Path, dockerfile: Path = DOCKERFILE, ignorefile: Path = IGNOREFILE
) -> dict[PurePosixPath, Path]:
    """Every file the image definition copies from ``folder``: its path in the image -> its source."""
    context = build_context(folder, ignorefile)
    workdir, placed = PurePosixPath("/"), {}
    for keyword, args in _instructions(dockerfile):
        if keyword in _NO_FILES:
            continue
        if keyword == "WORKDIR":
            workdir = workdir / args
            continue
        if keyword != "COPY":
            raise ValueError(f"can't tell which files `{keyword} {args}` puts into the image")
        flags = [w for w in shlex.split(args) if w.startswith("--")]
        if any(flag.startswith("--from") for flag in flags):
            raise ValueError(f"COPY from another stage or image: {args}")
        *sources, target = [w for w in shlex.split(args) if not w.startswith("--")]
        destination = workdir / target
        into_folder = target.endswith("/") or len(sources) > 1
        for source in sources:
            source = "" if source in (".", "./") else source.strip("/")
            matched = [
                f
                for f in context
                if not source or f.startswith(source + "/") or fnmatch.fnmatchcase(f, source)
            ]
            if not matched:
                raise ValueError(f"COPY {source}: not in the build context")
            for f in matched:
                if not source:  # the whole context
                    into = destination / f
                elif f.startswith(source + "/"):  # a folder's contents go under the target
                    into = destination / PurePosixPath(f).relative_to(source)
                else:
                    into = destination / PurePosixPath(f).name if into_folder else destination
                placed[into] = folder / f
    return placed


def lay_out(folder: Path, root: Path, workdir: PurePosixPath = WORKDIR) -> Path:
    """Copy what the image would hold under ``workdir`` into ``root``; returns ``root``."""
    for path, source in image_files(folder).items():
        target = root / path.relative_to(workdir)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    return root
