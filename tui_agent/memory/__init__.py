"""Experience memory: LanceDB tables on disk (schema, store, export/import)."""

from tui_agent.memory.schema import Experience, experience_schema
from tui_agent.memory.store import ExperienceStore, MemoryStoreError, Retrieved

__all__ = ["Experience", "ExperienceStore", "MemoryStoreError", "Retrieved", "experience_schema"]
