"""Documents shipped with tui-agent as package data, loaded by ``tui-agent notes add --builtin NAME``.

``python-docs``: 21 pages of the Python 3.11 documentation's reStructuredText sources (PSF License;
``data/python-docs/NOTICE.txt`` and ``LICENSE.rst``). Their notes' sources are ``builtin:python-docs/…``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["BUILTIN", "PYTHON_DOCS_PAGES", "builtin_files"]

PYTHON_DOCS_PAGES = (
    "stdtypes", "functions", "os.path", "pathlib", "json", "re", "datetime", "collections", "itertools",
    "functools", "string", "math", "random", "statistics", "subprocess", "shutil", "argparse", "logging",
    "csv", "sqlite3", "urllib.parse",
)
BUILTIN = {"python-docs": "Python 3.11 documentation: 21 library pages (PSF License)"}


def builtin_files(name: str) -> list[tuple[Path, str]]:
    """``(path, source name)`` of the builtin document set ``name``; source = ``builtin:<name>/library/<page>.rst``.

    Raises:
        KeyError: no builtin set of that name (the message lists the names).
    """
    if name not in BUILTIN:
        raise KeyError(f"no builtin notes named {name!r} (have: {', '.join(BUILTIN)})")
    root = Path(str(resources.files("tui_agent.notes") / "data" / name))
    return [(root / "library" / f"{page}.rst", f"builtin:{name}/library/{page}.rst") for page in PYTHON_DOCS_PAGES]
