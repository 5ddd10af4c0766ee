"""Knowledge notes: text chunks of the user's documents and ``/remember`` notes in a LanceDB table.

``schema`` (the ``notes`` table's pyarrow schema, version), ``store`` (:class:`NoteStore`: writes under a
file lock, full-text / vector / hybrid search with LanceDB's own FTS index and RRF re-ranker),
``ingest`` (reading Markdown, reStructuredText, HTML and plain text into chunks with docutils,
markdown-it-py, lxml (libxml2) and semantic-text-splitter), ``builtin`` (the shipped Python 3.11
documentation pages). Learning which notes help is the chat agent's (``tui_agent.chat.notes``): this
package stores and searches, it knows no reward.
"""

from tui_agent.notes.schema import NOTES_SCHEMA_VERSION, NOTES_TABLE, Note

__all__ = ["NOTES_SCHEMA_VERSION", "NOTES_TABLE", "Note"]
