"""Plain file and table plumbing shared by every store: safe user-file reads and writes (:mod:`.files`), SQLite
schema upgrades (:mod:`.sqlite_schema`), LanceDB table schemas declared once on the row dataclass and their
numbered upgrades (:mod:`.lance_schema`, pyarrow), one-line storage error messages (:mod:`.errors`) and
dataclass ↔ row conversion (:mod:`.rowcodec`). Standard library and light dependencies only; nothing is
imported here.
"""
