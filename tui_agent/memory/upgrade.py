"""The experiences table's schema upgrades, run by :class:`~tui_agent.memory.store.ExperienceStore` on open.

The numbered steps are :data:`tui_agent.memory.schema.UPGRADES`; the mechanism (version in the table's
schema metadata, steps applied in order, a newer version refused) is
:mod:`tui_agent.storage.lance_schema`, shared with the notes table. Takes the store as ``Any`` (this
module sits below ``store``, which calls it).
"""

from __future__ import annotations

from typing import Any

from tui_agent.memory.errors import MemoryStoreError
from tui_agent.memory.schema import UPGRADES
from tui_agent.memory.versions import record_equivalent_versions
from tui_agent.storage.lance_schema import SchemaVersionError

__all__ = ["upgrade_table"]


def upgrade_table(store: Any) -> None:
    """Bring ``store.table`` to the current schema version, under the store's write lock.

    An older table is upgraded in place; its upgrade versions are journalled as holding the same rows
    (:func:`~tui_agent.memory.versions.record_equivalent_versions`), so undo does not take the upgrade
    back. A memory that cannot be written (read-only, locked elsewhere) is read as it is: the columns
    an older schema lacks read as ``""``. A current table costs no lock and no write.

    Raises:
        MemoryStoreError: the table was written by a newer tui-agent, or its version is unreadable.
    """
    where = f"memory {store.path}"
    try:
        if not UPGRADES.pending(store.table, where):
            return
        with store.locked():
            before = store.table.version
            made = UPGRADES.apply(store.table, where)
            record_equivalent_versions(store, made, same_as=before, op="upgrade")
    except SchemaVersionError as exc:
        raise MemoryStoreError(str(exc)) from exc
    except MemoryStoreError:  # read-only or locked: read as it is
        pass
