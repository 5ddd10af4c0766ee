"""Files the user names or edits: one safe way to write them and one bounded way to read them.

Writing (:func:`write_new`, every export that writes a file the user named): an existing file is
never replaced unless the caller says so (``--force``); the data goes to a temporary file in the
same folder first, then takes the final name in one step, so a failed or interrupted write leaves
the old file (or no file) and never a half-written one. Without ``overwrite`` the final step is a
hard link, which fails if the name appeared meanwhile (no race between the check and the write).

Reading (:func:`read_bounded`, :func:`read_toml`, every file read at start-up: ``config.toml``,
``state.toml``, themes): only a regular file (a symlink to one is fine), never a FIFO, socket or
device (opened non-blocking, checked with ``fstat`` on the open descriptor, so a FIFO cannot block
and ``/dev/zero`` cannot fill the memory), at most ``max_bytes`` read; TOML nested at most
:data:`MAX_TOML_DEPTH` arrays/tables deep (``tomllib`` recurses once per level: 4 KB of ``[``
ended in a RecursionError).

Standard library only; every layer may use it.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["MAX_TOML_BYTES", "MAX_TOML_DEPTH", "UserFileError", "read_bounded", "read_toml", "write_new"]

MAX_TOML_BYTES = 1024 * 1024
"""Largest TOML file read at start-up (config and state are a few hundred bytes)."""
MAX_TOML_DEPTH = 32
"""Deepest nesting of arrays and tables accepted in a TOML file read at start-up."""


class UserFileError(ValueError):
    """A file that cannot be read or written as asked; the message is one user-facing line naming it."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


# --- writing -----------------------------------------------------------------------


def write_new(path: str | Path, write: Callable[[Path], Any], *, overwrite: bool = False) -> Path:
    """Create ``path`` by calling ``write(temporary path)`` and then giving the result its name.

    The temporary file is in ``path``'s folder (same file system: the rename is atomic) and is
    removed when ``write`` fails. Returns ``path`` (``~`` expanded).

    Raises:
        UserFileError: ``path`` exists and ``overwrite`` is false (message says "pass --force"),
            ``path`` is a folder, its folder does not exist, or the file cannot be written (disk
            full, no permission).
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise UserFileError(f"{path} is a directory")
    if os.path.lexists(path) and not overwrite:
        raise UserFileError(f"{path} exists; pass --force to overwrite it")
    if not path.parent.is_dir():
        raise UserFileError(f"directory {path.parent} does not exist")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name[:100]}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UserFileError(f"cannot write {path}: {exc.strerror or exc}") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        if overwrite:
            os.replace(tmp, path)
        else:
            _link_new(tmp, path)
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            raise UserFileError(f"{path} exists; pass --force to overwrite it") from exc
        raise UserFileError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _link_new(tmp: Path, path: Path) -> None:
    """Give ``tmp`` the name ``path`` only if no file has it (``FileExistsError`` otherwise)."""
    try:
        os.link(tmp, path)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        if os.path.lexists(path):  # a file system without hard links: check, then rename
            raise FileExistsError(errno.EEXIST, "File exists", str(path)) from exc
        os.replace(tmp, path)


# --- reading -----------------------------------------------------------------------


def read_bounded(path: str | Path, max_bytes: int) -> bytes:
    """The bytes of the regular file ``path`` (symlinks followed), at most ``max_bytes`` of them.

    Raises:
        FileNotFoundError: there is no such file (callers usually treat that as "no file").
        UserFileError: not a regular file (a folder, FIFO, socket or device), larger than
            ``max_bytes``, or unreadable.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise UserFileError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise UserFileError(f"{path}: not a regular file ({file_kind(info.st_mode)}); not read")
    with os.fdopen(fd, "rb") as fh:
        if info.st_size > max_bytes:
            raise UserFileError(f"{path}: larger than {_size(max_bytes)}; not read")
        try:
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise UserFileError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if len(data) > max_bytes:  # grew since fstat
        raise UserFileError(f"{path}: larger than {_size(max_bytes)}; not read")
    return data


def read_toml(path: str | Path, *, max_bytes: int = MAX_TOML_BYTES, max_depth: int = MAX_TOML_DEPTH
              ) -> dict[str, Any]:
    """The TOML document in ``path``, read with :func:`read_bounded`.

    Raises:
        FileNotFoundError: there is no such file.
        UserFileError: not a regular file, over ``max_bytes``, not UTF-8, not TOML, or nested more
            than ``max_depth`` arrays/tables deep (one line naming the file).
    """
    data = read_bounded(path, max_bytes)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserFileError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    if _bracket_depth(text) > 4 * max_depth:  # cheap bound first: tomllib recurses once per level
        raise UserFileError(f"{path}: nested more than {max_depth} levels deep; not read")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserFileError(f"{path}: not valid TOML ({exc})") from exc
    except RecursionError as exc:  # pragma: no cover - the bound above comes first
        raise UserFileError(f"{path}: nested more than {max_depth} levels deep; not read") from exc
    if _depth(doc) > max_depth:
        raise UserFileError(f"{path}: nested more than {max_depth} levels deep; not read")
    return doc


def _bracket_depth(text: str) -> int:
    """An upper bound of the nesting of ``[``/``{`` in ``text`` (brackets in strings counted too)."""
    depth = deepest = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}" and depth:
            depth -= 1
    return deepest


def _depth(value: Any) -> int:
    """Nesting depth of lists and dicts in ``value`` (a scalar is 0); iterative."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level + 1)
            stack.extend((child, level + 1) for child in item)
    return deepest


def file_kind(mode: int) -> str:
    """What a file of ``mode`` (``st_mode``) is, for a message: "a folder", "a FIFO", "a socket", "a device"."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "another kind of file"


def _size(n: int) -> str:
    return f"{n // 1024**2} MB" if n >= 1024**2 else f"{n // 1024} KB" if n >= 1024 else f"{n} bytes"
