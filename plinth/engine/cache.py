"""The preview cache: a preview is kept under `.plinth/cache/` and reused while nothing that can
change it has changed. Its key hashes all of that:

- every file under the project folder (the program, its libraries, stack and tenant files,
  waivers, price and contract tables, `uv.lock`), by path and content, except folders of
  tools and caches (`.git`, `.venv`, `.plinth`, `__pycache__`...);
- the config file and the stack-outputs file given on the command line, by content;
- the engine's source files and the libraries it ships (`components`, `policies`), when
  they are not inside the project folder;
- the installed packages and their versions, and the Python version;
- environment variables a program may read for its configuration (`PULUMI_*`, `PLINTH_*`).

So a cached preview is the preview the program would make now. A program that reads other
state (other environment variables, files outside its folder, the clock) needs `--no-cache`.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from plinth.engine.result import Preview
from plinth.engine.saved import FORMAT, load, write

CACHE_ENV = "PLINTH_CACHE_DIR"
"""Where previews are cached, shared across worktrees (`plinth diff` sets it for its base)."""
SKIPPED_FOLDERS = frozenset(
    {
        ".git", ".venv", ".tools", ".plinth", "node_modules", "__pycache__", ".mypy_cache",
        ".ruff_cache", ".pytest_cache", "dist", "build",
    }
)  # fmt: skip
_ENGINE = Path(__file__).resolve().parent.parent.parent
"""The folder holding the `plinth` package (this repository, or site-packages)."""


def cache_dir(project_root: Path) -> Path:
    configured = os.environ.get(CACHE_ENV)
    return Path(configured) if configured else project_root / ".plinth" / "cache"


def _files(root: Path) -> Iterator[Path]:
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if d not in SKIPPED_FOLDERS)
        # A worktree's `.git` is a file naming its repository: not content either.
        for name in sorted(n for n in names if n not in SKIPPED_FOLDERS):
            yield Path(folder) / name


@cache
def _environment_fingerprint() -> bytes:
    """Installed packages and the Python version (fixed for the life of the process)."""
    packages = sorted(
        f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions()
    )
    return "\n".join([platform.python_version(), *packages]).encode()


def preview_key(
    project_root: Path,
    stack: str,
    *,
    config_file: Path | None = None,
    stack_outputs_file: Path | None = None,
    engine: Path = _ENGINE,
) -> str:
    """The content hash of everything that can change this stack's preview. `engine` is the
    folder the `plinth` package is imported from (another one for `plinth diff`'s base)."""
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    add("format", FORMAT.encode())
    add("stack", stack.encode())
    root = project_root.resolve()
    # The engine and the libraries programs import from it, wherever they are installed.
    libraries = [engine.resolve() / name for name in ("plinth", "components", "policies")]
    trees = [root, *(tree for tree in libraries if tree.is_dir() and not tree.is_relative_to(root))]
    for tree in trees:
        for path in _files(tree):
            add(f"file:{path.relative_to(tree).as_posix()}", path.read_bytes())
    for label, given in (("config", config_file), ("stack-outputs", stack_outputs_file)):
        if given is not None:
            add(label, given.read_bytes())
    for name in sorted(os.environ):
        if name.startswith(("PULUMI_", "PLINTH_")) and name != CACHE_ENV:
            add(f"env:{name}", os.environ[name].encode())
    add("environment", _environment_fingerprint())
    return digest.hexdigest()


def cached(directory: Path, key: str) -> Preview | None:
    """The preview stored under `key`, or None (absent or unreadable: it is simply rebuilt)."""
    path = directory / f"{key}.json"
    try:
        return load(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def store(directory: Path, key: str, preview: Preview) -> None:
    write(preview, directory / f"{key}.json")


def cached_document(directory: Path, key: str) -> dict[str, Any] | None:
    """The `plinth preview --format json` document stored under `key` (what `plinth diff`
    compares), or None."""
    try:
        document = json.loads((directory / f"{key}.document.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def store_document(directory: Path, key: str, document: dict[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{key}.document.json"
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(json.dumps(document), encoding="utf-8")
    os.replace(temporary, path)
