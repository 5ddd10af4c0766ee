"""Write the shipped vectors of the builtin notes (``tui_agent/notes/data/<name>/vectors.npz``).

Run after a change to the builtin documents, the reader or the splitter (``tests/test_notes_speed.py``
fails until then: it checks that every chunk has a shipped vector)::

    python scripts/embed_builtin_notes.py [python-docs]

It embeds every chunk with the bundled model (a few minutes on 2 cores) and prints the file's path,
the number of vectors and its size.
"""

from __future__ import annotations

import sys
import time

from tui_agent.embedding.encoder import Embedder
from tui_agent.notes.builtin import BUILTIN, write_shipped_vectors


def main(names: list[str]) -> None:
    embedder = Embedder()
    for name in names or list(BUILTIN):
        start = time.perf_counter()
        path = write_shipped_vectors(name, embedder)
        import numpy as np

        with np.load(path) as data:
            count = len(data["keys"])
        print(f"{path}: {count} vectors, {path.stat().st_size / 1e6:.2f} MB, {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
