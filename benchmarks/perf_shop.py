"""Shop step figure: one q-driven step with learning at 10k shop rows — ``ShopAgent.act`` (retrieve,
estimate Q̂, choose) plus the replay's update of the step (``HistoryReplay.step``, a memory write).

The memory holds synthetic shop records (instructions with unit vectors, the four page types, their
actions and Q values); the model is the constant scorer and the embedder a fixed table, so the
figure is the memory's and the policy's cost alone. Reference: the exact λ-score of every record in
numpy on cached arrays (matrix–vector product + page-type lookup + argsort), in the same run.

Usage::

    .venv/bin/python benchmarks/perf_shop.py                          # 10k rows, 20 steps
    .venv/bin/python benchmarks/perf_shop.py --rows 1000 --steps 6    # a tiny run
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from perf_common import emit, log, p50, size

PAGES = {
    "search": ["search[<keywords>]"],
    "results": ["click[Back to Search]", "click[Next >]", "click[B0{n}A]", "click[B0{n}B]", "click[B0{n}C]"],
    "item": ["click[Back to Search]", "click[< Prev]", "click[Description]", "click[Features]", "click[Reviews]",
             "click[Buy Now]", "click[red]", "click[blue]"],
    "item_sub": ["click[Back to Search]", "click[< Prev]"],
}


class TableEmbedder:
    """Fixed unit vectors per text (no model)."""

    dim = 384

    def __init__(self) -> None:
        self.cache: dict[str, np.ndarray] = {}

    def encode_one(self, text: str) -> np.ndarray:
        if text not in self.cache:
            v = np.random.default_rng(abs(hash(text)) % 2**32).normal(size=384).astype(np.float32)
            self.cache[text] = v / np.linalg.norm(v)
        return self.cache[text]

    def encode(self, texts):
        return np.stack([self.encode_one(t) for t in texts]) if texts else np.zeros((0, 384), np.float32)


def _rows(count: int, embedder: TableEmbedder):
    from tui_agent.memory.schema import Experience
    from tui_agent.rlem.records import actions_json

    rng = random.Random(0)
    rows = []
    for i in range(count):
        task = f"i want to buy product {i // 20} with option {i % 7}, price lower than {10 + i % 50}.00 dollars"
        page = list(PAGES)[i % 4]
        available = [a.format(n=i) for a in PAGES[page]]
        obs = f"\nInstruction:\n{task}\n[{page} page {i}]\n" + "text " * 40
        rows.append(Experience(task=task, action=rng.choice(available), kind="shop", observation=obs,
                               available_actions=actions_json(available), reason="a reason",
                               q=rng.uniform(-1, 1), n=rng.randint(0, 5), episode_id=f"ep{i // 8}", step=i % 8,
                               vector=embedder.encode_one(task).tolist()))
    return rows


def shop_step(rows: int = 10_000, steps: int = 60) -> None:
    from tui_agent.memory.store import ExperienceStore
    from tui_agent.rlem.records import ActionKey, RecordKey
    from tui_agent.shop.agent import ShopAgent, ShopConfig

    work = Path(tempfile.mkdtemp(prefix="perf-shop-"))
    try:
        embedder = TableEmbedder()
        store = ExperienceStore(work / "memory")
        data = _rows(rows, embedder)
        log(f"shop step: filling a memory with {rows:,} shop rows")
        for start in range(0, rows, 20_000):
            store.add(data[start:start + 20_000])
        store.compact()
        agent = ShopAgent(store, embedder, None, ShopConfig(scorer="constant"))
        agent.replay.sync()  # the first read (the agent's start), not a step
        # reference arrays (what a column cache holds)
        matrix = np.stack([np.asarray(e.vector, np.float32) for e in data])
        page_of = np.array([i % 4 for i in range(rows)])
        page_sim = np.eye(4)
        ours, ref, retrieve = [], [], []
        episode = agent.replay.begin_episode(episode_id="bench")
        rng = random.Random(1)
        prev = None
        for t in range(steps):
            instruction = f"i want to buy product {rng.randrange(rows // 20)} with option 3, price lower than 30.00 dollars"
            page = ["results", "item", "item_sub"][t % 3]
            available = [a.format(n=900_000 + t) for a in PAGES[page]]
            obs = f"\nInstruction:\n{instruction}\n[{page} page bench {t}]\n"
            from tui_agent.envs.shop.pagetype import page_type_of
            from tui_agent.shop.records import ShopQuery

            start = time.perf_counter()
            agent.replay.retrieve(ShopQuery(agent.vector(instruction), page_type_of(available)))
            retrieve.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            step = agent.act("q-driven", instruction, obs, available, [], set(), learn=True)
            key = RecordKey.of(instruction, obs, available)
            if prev is not None:
                agent.replay.step(episode, prev[0], prev[1], 0.0, key, any_reason=True)
            prev = (key, ActionKey(step.action, step.reason))
            ours.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            q = embedder.encode_one(instruction)
            scores = 0.5 * (matrix @ q) + 0.5 * page_sim[1][page_of]
            np.argsort(-scores, kind="stable")
            ref.append((time.perf_counter() - start) * 1000)
        emit(f"shop_step_{size(rows)}", p50(ours[3:]), "ms", "numpy λ-score + sort on cached arrays", p50(ref[3:]),
             "<= 5 ms", rows=rows, steps=steps, p90=float(np.percentile(ours[3:], 90)),
             retrieve_and_score_ms=p50(retrieve[3:]))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="synthetic shop records in the memory")
    parser.add_argument("--steps", type=int, default=20, help="steps timed (the first 3 are warm-up)")
    args = parser.parse_args(argv)
    if args.rows < 20 or args.steps < 4:
        parser.error("--rows must be at least 20 and --steps at least 4")
    shop_step(args.rows, args.steps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
