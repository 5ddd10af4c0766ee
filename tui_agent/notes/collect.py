"""What ``notes add`` may read: the one rule that picks the files under the paths given.

Under a folder, a file is read only when

* its name has a supported suffix (:func:`~tui_agent.notes.ingest.kind_of`) and no part of its path
  below the folder starts with ``.`` (hidden files and folders are left out, silently);
* it is a regular file (a FIFO, socket or device is skipped: reading a FIFO blocks);
* its real path (symlinks resolved) stays under the folder's real path. A symlink to a file elsewhere
  (``docs/passwd.txt -> /etc/passwd``) is skipped, and symlinked sub-folders are not descended, so a
  folder of documents cannot hand its reader's other files to the notes (and from there to a hosted
  model's prompt).

``follow_links=True`` (``notes add --follow-links``) lifts the last rule: symlinks to files and folders
anywhere are followed (each real folder walked once, so a link to a parent cannot loop). A file named
on the command line is the user's own choice and is read wherever its symlinks lead, if it is a
regular file.

Every skipped file or folder is reported as one line saying why (``AddReport.skipped``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tui_agent.notes.ingest import kind_of
from tui_agent.storage.files import file_kind

__all__ = ["Collected", "collect_files"]

FOLLOW_HINT = "not read (--follow-links reads it)"


@dataclass
class Collected:
    """``files`` to read (sorted per folder, each real file once); ``skipped``: one line per file or folder
    the rule left out and why; ``problems``: paths given that do not exist, empty folders, unsupported files."""

    files: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def collect_files(paths: Iterable[str | Path], *, follow_links: bool = False) -> Collected:
    """The files ``notes add`` reads under ``paths`` (files as given, folders recursively), by the module's rule.

    Never raises for a bad path: each one is a line in ``problems`` or ``skipped``.
    """
    out = Collected()
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            found = _walk(path, follow_links, out.skipped)
            if not found:
                out.problems.append(f"{path}: no Markdown, reStructuredText, HTML or text files in this folder")
            out.files.extend(found)
        elif not os.path.lexists(path) or not path.exists():
            out.problems.append(f"{path}: no such file or folder" if not os.path.lexists(path)
                                else f"{path}: broken symbolic link")
        elif kind_of(path) is None:
            out.problems.append(f"{path}: unsupported file type (use .md, .rst, .txt or .html)")
        elif not path.is_file():
            out.skipped.append(f"{path}: not a regular file ({_kind(path)}); not read")
        else:
            out.files.append(path)
    first: dict[Path, Path] = {}  # resolved path -> the first path given for it
    for p in out.files:
        first.setdefault(p.resolve(), p)
    out.files = list(first.values())
    return out


def _walk(root: Path, follow_links: bool, skipped: list[str]) -> list[Path]:
    """Supported files under ``root`` that the rule lets through (sorted); what it skips goes to ``skipped``."""
    base = root.resolve()
    found: list[Path] = []
    walked: set[Path] = set()
    for folder, dirs, names in os.walk(root, followlinks=follow_links):
        here = Path(folder)
        real_here = here.resolve()
        if real_here in walked:  # a link back to a folder already read (only with follow_links)
            dirs[:] = []
            continue
        walked.add(real_here)
        keep = []
        for name in sorted(dirs):
            if name.startswith("."):
                continue
            sub = here / name
            if sub.is_symlink() and not follow_links and not sub.resolve().is_relative_to(base):
                skipped.append(f"{sub}: symbolic link to the folder {sub.resolve()}, outside {root}; {FOLLOW_HINT}")
            elif sub.is_symlink() and not follow_links:
                continue  # a link to a folder inside: its files are read there
            else:
                keep.append(name)
        dirs[:] = keep
        for name in sorted(names):
            path = here / name
            if name.startswith(".") or not kind_of(path):
                continue
            why = _why_not(path, base, root, follow_links)
            if why:
                skipped.append(f"{path}: {why}")
            else:
                found.append(path)
    return sorted(found)


def _why_not(path: Path, base: Path, root: Path, follow_links: bool) -> str | None:
    """Why the rule does not read ``path`` (a file name found under ``root``), or ``None`` when it does."""
    if not path.exists():
        return "broken symbolic link; not read"
    if not path.is_file():
        return f"not a regular file ({_kind(path)}); not read"
    if path.is_symlink() and not follow_links and not path.resolve().is_relative_to(base):
        return f"symbolic link to {path.resolve()}, outside {root}; {FOLLOW_HINT}"
    return None


def _kind(path: Path) -> str:
    try:
        return file_kind(path.stat().st_mode)
    except OSError:
        return "unreadable"
