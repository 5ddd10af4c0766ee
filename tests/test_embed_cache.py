"""The text → vector cache of chat contexts (tui_agent/embedding/cache.py): RAM + SQLite, never stale."""

from __future__ import annotations

import numpy as np

from tui_agent.embedding.cache import TextVectors


class CountingEncoder:
    """A deterministic fake embedder that counts the texts it embeds."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.array([[len(t), sum(map(ord, t)) % 97, 1.0] for t in texts], dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_cached_texts_are_not_embedded_again_and_survive_a_new_process(tmp_path):
    enc = CountingEncoder()
    path = tmp_path / "cache" / "m.sqlite"
    cache = TextVectors(enc, "m", path=path)
    first, extra = cache.get(["a", "bb", "a"], extra=["question"])
    assert enc.calls == [["question", "a", "bb"]] and extra.shape == (1, 3)
    again, _ = cache.get(["bb", "a"])
    assert enc.calls == [["question", "a", "bb"]]  # both from RAM
    np.testing.assert_array_equal(again["a"], first["a"])
    other = TextVectors(enc, "m", path=path)  # another process: from the file
    found, _ = other.get(["a", "ccc"])
    assert enc.calls[-1] == ["ccc"]
    np.testing.assert_array_equal(found["a"], first["a"])


def test_disk_false_reads_ram_only_but_stores(tmp_path):
    enc = CountingEncoder()
    path = tmp_path / "m.sqlite"
    TextVectors(enc, "m", path=path).put(["ctx"], enc(["ctx"]))
    cache = TextVectors(enc, "m", path=path)
    cache.get(["ctx"], disk=False)
    assert enc.calls[-1] == ["ctx"]  # not looked up on disk
    cache.get(["new"], disk=False)
    assert "new" in TextVectors(enc, "m", path=path).get(["new"])[0] and enc.calls[-1] == ["new"]


def test_an_unusable_file_falls_back_to_ram(tmp_path):
    enc = CountingEncoder()
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = TextVectors(enc, "m", path=blocker / "m.sqlite")
    found, _ = cache.get(["x"])
    assert cache.path is None and "x" in found
    cache.get(["x"])
    assert enc.calls == [["x"]]


def test_ram_is_bounded():
    enc = CountingEncoder()
    cache = TextVectors(enc, "m", disk=False, ram_max=2)
    cache.get(["a", "b", "c"])
    assert list(cache.ram) == ["b", "c"]
