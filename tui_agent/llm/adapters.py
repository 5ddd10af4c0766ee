"""Tuned LoRA adapters of the bundled model (``tui-agent tune``) on disk, and which one the chat uses.

Layout, under ``<data dir>/tuned/`` (:func:`tui_agent.config.base.data_dir`; ``$TUI_AGENT_HOME/data``
when set): one directory per tune, named by its id (``YYYYMMDD-HHMMSS``), holding ``adapter.gguf``
(a llama.cpp LoRA GGUF, F16) and ``manifest.json``; and ``state.json``: ``{"selected": ID | null,
"off": bool}``.

The adapter in use (:func:`active`): none when ``off``; else the ``selected`` one when it is still
there; else none. A tune that passes its evaluation selects itself (``tune`` with ``--use`` of a kept
one does the same by hand); ``--off`` turns tuned models off without removing any.

Manifest keys (:class:`Manifest`): ``id``, ``created`` (ISO time), ``base_model`` (file name),
``base_sha256``, ``experience_ids`` (list), ``hyper`` (dict), ``train`` (dict: steps, seconds,
losses), ``eval`` (dict of scores), ``passed`` (bool), ``reason`` (why not switched on, or "").
Nothing here imports anything heavy: the chat reads it at start-up.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock

from tui_agent.config.base import data_dir

ADAPTER_FILE = "adapter.gguf"
MANIFEST_FILE = "manifest.json"


class AdapterError(ValueError):
    """An unknown adapter id, or an adapter directory that cannot be read or written."""


@dataclass
class Manifest:
    """What a tune made and how it scored (see the module docstring)."""

    id: str
    created: str
    base_model: str
    base_sha256: str
    experience_ids: list[str] = field(default_factory=list)
    hyper: dict[str, Any] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)
    eval: dict[str, Any] = field(default_factory=dict)
    passed: bool = False
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def tuned_dir() -> Path:
    """``<data dir>/tuned`` (not created here)."""
    return data_dir() / "tuned"


def _lock() -> FileLock:
    tuned_dir().mkdir(parents=True, exist_ok=True)
    return FileLock(str(tuned_dir() / ".lock"), timeout=30)


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(adapter_id: str) -> Manifest:
    """The manifest of ``adapter_id``.

    Raises:
        AdapterError: no such adapter, or its manifest is not readable JSON of that shape.
    """
    path = tuned_dir() / adapter_id / MANIFEST_FILE
    if not adapter_id or "/" in adapter_id or adapter_id.startswith(".") or not path.is_file():
        raise AdapterError(f"no tuned model {adapter_id!r} (tui-agent tune --list shows them)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Manifest(**{k: v for k, v in data.items() if k in Manifest.__dataclass_fields__})
    except (OSError, ValueError, TypeError) as exc:
        raise AdapterError(f"tuned model {adapter_id}: unreadable manifest {path}: {exc}") from exc


def write_manifest(manifest: Manifest) -> Path:
    """Write ``manifest.json`` of ``manifest.id`` (its directory must exist); returns its path."""
    path = tuned_dir() / manifest.id / MANIFEST_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest.to_json(), indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    return path


def adapter_file(adapter_id: str) -> Path:
    """Path of ``adapter_id``'s GGUF (it may be missing)."""
    return tuned_dir() / adapter_id / ADAPTER_FILE


def list_adapters() -> list[Manifest]:
    """Every tuned model with a readable manifest and its GGUF, oldest first."""
    root = tuned_dir()
    if not root.is_dir():
        return []
    out = []
    for child in sorted(root.iterdir()):
        if child.is_dir() and (child / ADAPTER_FILE).is_file():
            try:
                out.append(read_manifest(child.name))
            except AdapterError:
                continue
    return out


def read_state() -> dict[str, Any]:
    """``{"selected": ID | None, "off": bool}`` (the defaults when there is no readable state file)."""
    try:
        data = json.loads((tuned_dir() / "state.json").read_text(encoding="utf-8"))
        return {"selected": data.get("selected") or None, "off": bool(data.get("off", False))}
    except (OSError, ValueError, AttributeError):
        return {"selected": None, "off": False}


def _write_state(state: dict[str, Any]) -> None:
    path = tuned_dir() / "state.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state), encoding="utf-8")
    tmp.replace(path)


def use(adapter_id: str) -> Manifest:
    """Switch ``adapter_id`` on (the chat uses it from its next start).

    Raises:
        AdapterError: no such adapter.
    """
    with _lock():
        manifest = read_manifest(adapter_id)
        if not adapter_file(adapter_id).is_file():
            raise AdapterError(f"tuned model {adapter_id}: {ADAPTER_FILE} is missing")
        _write_state({"selected": adapter_id, "off": False})
        return manifest


def off() -> None:
    """Switch tuned models off (the base model answers); nothing is removed."""
    with _lock():
        _write_state({**read_state(), "off": True})


def remove(adapter_id: str) -> Manifest:
    """Delete ``adapter_id`` (its directory); when it was in use, no tuned model is used any more.

    Raises:
        AdapterError: no such adapter.
    """
    with _lock():
        manifest = read_manifest(adapter_id)
        shutil.rmtree(tuned_dir() / adapter_id)
        state = read_state()
        if state["selected"] == adapter_id:
            _write_state({**state, "selected": None})
        return manifest


def active() -> Manifest | None:
    """The tuned model the chat uses now, or ``None`` (see the module docstring)."""
    state = read_state()
    if state["off"] or not state["selected"]:
        return None
    try:
        manifest = read_manifest(state["selected"])
    except AdapterError:
        return None
    return manifest if adapter_file(manifest.id).is_file() else None
