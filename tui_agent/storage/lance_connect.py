"""Opening a memory's LanceDB database, in a directory or in a bucket (:mod:`tui_agent.storage.object_store`).

The experience memory and the notes share this; the settings do not import it (nor lancedb).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tui_agent.storage.object_store import RemoteMemory, StoreUnreachable, is_remote, unreachable_problem

__all__ = ["connect"]

def connect(location: str | os.PathLike[str] | RemoteMemory, side_root: Path | None = None
            ) -> tuple[Any, Path, RemoteMemory | None]:
    """Open the LanceDB database at ``location``: ``(connection, side directory, remote or None)``.

    A directory is its own side directory (created if missing). A bare ``s3://`` URI gets
    :func:`storage_options` from the environment (``TUI_AGENT_S3_ENDPOINT``, ``TUI_AGENT_S3_REGION``,
    ``TUI_AGENT_S3_ALLOW_HTTP``) and its side directory under ``side_root`` (required then).
    The connection reads with ``read_consistency_interval=0`` (other writers' commits are seen at once).

    Raises:
        StoreUnreachable: the object store does not answer (one line).
        OSError: the side directory cannot be created.
        ValueError: a bare URI without ``side_root``.
    """
    from datetime import timedelta

    import lancedb

    remote: RemoteMemory | None
    if isinstance(location, RemoteMemory):
        remote = location
    elif is_remote(location):
        if side_root is None:
            raise ValueError(f"{location}: a remote memory needs a side directory")
        remote = RemoteMemory.at(location, side_root, endpoint=os.environ.get("TUI_AGENT_S3_ENDPOINT"),
                                 region=os.environ.get("TUI_AGENT_S3_REGION"),
                                 allow_http=os.environ.get("TUI_AGENT_S3_ALLOW_HTTP", "").lower() in ("1", "true"))
    else:
        remote = None
    side = remote.side if remote else Path(os.fspath(location)).expanduser()
    side.mkdir(parents=True, exist_ok=True)
    if remote is None:
        return lancedb.connect(str(side), read_consistency_interval=timedelta(0)), side, None
    try:
        db = lancedb.connect(remote.uri, storage_options=dict(remote.options), read_consistency_interval=timedelta(0))
    except (OSError, RuntimeError, ValueError) as exc:
        problem = unreachable_problem(remote, exc)
        if problem is None:
            raise
        raise StoreUnreachable(problem) from exc
    return db, side, remote
