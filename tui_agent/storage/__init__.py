"""Plain file and table plumbing shared by every store: safe user-file reads and writes (:mod:`.files`), SQLite
schema upgrades (:mod:`.sqlite_schema`), one-line storage error messages (:mod:`.errors`) and dataclass ↔
row conversion (:mod:`.rowcodec`). Standard library and light dependencies only; nothing is imported here.
"""
