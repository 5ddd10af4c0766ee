"""Does learned note retrieval transfer to facts it was never trained on? (issue 22, seed 000)

The 196 facts of the python-docs question set (``tui_agent.envs.docqa.questions``, each asked with a
train and a test wording) are split into two halves per seed. Each learner is trained on the train
wordings of half A only (``--epochs`` passes in a seeded order; the top ``--k-train`` notes retrieved are
each rewarded), then recall@1 of the gold section (the note's source and heading path are the gold ones)
is measured on the test wordings of half A (**seen** facts, other words) and of half B (**unseen** facts).

Learners (all re-rank the same 20 hybrid candidates, :class:`tui_agent.chat.notes.NoteRetriever`):

* ``hybrid`` — no learning (LanceDB full text + vectors, RRF);
* ``per-item Q`` — the Q of each (question, note) decision, Q̂ from similar past questions (λ = 1);
* ``feature scorer`` — :class:`tui_agent.chat.note_ranker.NoteRanker` without the Q features;
* ``both`` — the feature scorer with the shrunk per-item Q̂ as two of its features.

Reward (``--reward``): ``gold`` = 1 when the note is in the gold section (the benchmark knows it), ``strict``
= the answer as whole words, ≥ 4 characters (:func:`tui_agent.chat.notes.strict_answer_match`),
``substring`` = the tutorial's test (:func:`tui_agent.chat.notes.contains_answer`). Differences to hybrid
are per question, averaged over the seeds in which the question was in that split, with a paired
bootstrap 95 % interval over questions.

Run (the builtin notes add in seconds):

    TUI_AGENT_HOME=/tmp/notes-bench .venv/bin/tui-agent notes add --builtin python-docs
    TUI_AGENT_HOME=/tmp/notes-bench .venv/bin/python benchmarks/notes_transfer.py --seeds 3 --json docs/notes_transfer.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LEARNERS = ("hybrid", "per-item Q", "feature scorer", "both")
REWARDS = ("gold", "strict", "substring")


class Memo:
    """The note store with its searches remembered (every learner and seed asks the same questions)."""

    def __init__(self, store: Any) -> None:
        self.store, self.seen = store, {}

    def count(self, *a: Any) -> int:
        return self.store.count(*a)

    def search_hybrid(self, text: str, vector: np.ndarray, limit: int = 10) -> list:
        key = ("h", text, limit)
        if key not in self.seen:
            self.seen[key] = self.store.search_hybrid(text, vector, limit)
        return self.seen[key]

    def search_text(self, text: str, limit: int = 10) -> list:
        key = ("t", text, limit)
        if key not in self.seen:
            self.seen[key] = self.store.search_text(text, limit)
        return self.seen[key]


class Vectors:
    """The embedder with every question embedded once, in one batch."""

    def __init__(self, embedder: Any, texts: list[str]) -> None:
        self.embedder = embedder
        self.known = dict(zip(texts, embedder.encode(texts)))

    def encode_one(self, text: str) -> np.ndarray:
        if text not in self.known:
            self.known[text] = self.embedder.encode_one(text)
        return self.known[text]

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.encode_one(t) for t in texts])


def reward_of(kind: str, note: Any, q: dict) -> float:
    from tui_agent.chat.notes import contains_answer, strict_answer_match

    if kind == "gold":
        return float(note.source == q["source"] and note.heading == q["heading"])
    if kind == "strict":
        return float(strict_answer_match(note.text, q["answer"]))
    return float(contains_answer(note.text, q["answer"]))


def make_retriever(learner: str, notes: Any, vectors: Any, tmp: str, start: str = "hybrid") -> Any:
    from tui_agent.chat.note_ranker import HYBRID_WEIGHTS, NoteRanker, weight_vector
    from tui_agent.chat.notes import NoteRetriever
    from tui_agent.memory.store import ExperienceStore

    ranker = None
    if learner in ("feature scorer", "both"):
        ranker = NoteRanker.open(None, **({"initial": weight_vector(HYBRID_WEIGHTS)} if start == "hybrid" else {}))
    return NoteRetriever(notes, ExperienceStore(tmp), vectors, learned=learner in ("per-item Q", "both"),
                         ranker=ranker)


def hits(retriever: Any, qs: list[dict]) -> np.ndarray:
    """1 where the top note is in the question's gold section, per question."""
    out = []
    for q in qs:
        top = retriever.retrieve(q["question"], 1)
        out.append(bool(top) and top[0].source == q["source"] and top[0].heading == q["heading"])
    return np.array(out, dtype=float)


def run_seed(seed: int, learner: str, notes: Any, vectors: Any, pairs: dict, args: argparse.Namespace):
    facts = sorted(pairs)
    random.Random(seed).shuffle(facts)
    half = len(facts) // 2
    seen, unseen = facts[:half], facts[half:]
    with tempfile.TemporaryDirectory() as tmp:
        retriever = make_retriever(learner, notes, vectors, tmp, args.start)
        start = time.perf_counter()
        if learner != "hybrid":
            order = [pairs[f]["train"] for f in seen]
            rng = random.Random(1000 + seed)
            for _ in range(args.epochs):
                rng.shuffle(order)
                for q in order:
                    used = retriever.retrieve(q["question"], args.k_train)
                    retriever.learn(q["question"], used, [reward_of(args.reward, u, q) for u in used])
        seconds = time.perf_counter() - start
        result = {"seen": dict(zip(seen, hits(retriever, [pairs[f]["test"] for f in seen]))),
                  "unseen": dict(zip(unseen, hits(retriever, [pairs[f]["test"] for f in unseen]))),
                  "train_s": seconds}
        if retriever.ranker is not None:
            result["ranker"] = retriever.ranker.summary()
    return result


def paired(diffs: dict[Any, list[float]], boots: int, rng: np.random.Generator) -> tuple[float, float, float]:
    """Mean per-question difference (each averaged over its seeds) and its paired bootstrap 95 % interval
    (:func:`benchmarks.stats.paired_bootstrap`, ``boots`` resamples drawn from ``rng``)."""
    from benchmarks.stats import paired_bootstrap

    if not diffs:
        return 0.0, 0.0, 0.0
    ci = paired_bootstrap([float(np.mean(v)) for v in diffs.values()], resamples=boots, seed=rng)
    return ci.mean, ci.low, ci.high


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--memory-dir", type=Path, default=None, help="Memory directory with the notes (default: settings).")
    ap.add_argument("--seeds", type=int, default=3, help="Fact splits (seeds 0 … N−1).")
    ap.add_argument("--epochs", type=int, default=1, help="Passes over the train wordings of half A.")
    ap.add_argument("--k-train", type=int, default=5, help="Notes retrieved (and rewarded) per training question.")
    ap.add_argument("--reward", choices=REWARDS, default="gold")
    ap.add_argument("--learners", default=",".join(LEARNERS), help="Comma-separated subset of: " + ", ".join(LEARNERS))
    ap.add_argument("--facts", type=int, default=0, help="Use only the first N facts (0: all 196; a quick check).")
    ap.add_argument("--boots", type=int, default=2000, help="Bootstrap resamples.")
    ap.add_argument("--start", choices=("hybrid", "default"), default="hybrid",
                    help="Ranker weights to learn from: untrained (HYBRID_WEIGHTS) or the shipped INITIAL_WEIGHTS "
                    "(fitted on every fact's train wording: not held out).")
    ap.add_argument("--fit", action="store_true", help="Only learn INITIAL_WEIGHTS: one pass over the train wordings "
                    "of all facts from HYBRID_WEIGHTS; print them.")
    ap.add_argument("--json", type=Path, default=None, help="Also write the figures to this file.")
    args = ap.parse_args()
    learners = [x.strip() for x in args.learners.split(",") if x.strip()]
    if unknown := [x for x in learners if x not in LEARNERS]:
        ap.error(f"unknown learner(s) {', '.join(unknown)}; expected some of {', '.join(LEARNERS)}")
    if "hybrid" not in learners:
        learners.insert(0, "hybrid")

    from tui_agent.config.settings import load_settings
    from tui_agent.embedding.encoder import shared_embedder
    from tui_agent.envs.docqa.questions import load_questions
    from tui_agent.notes.store import NoteStore

    pairs: dict[int, dict[str, dict]] = {}
    for split in ("train", "test"):
        for q in load_questions(split):
            pairs.setdefault(q["fact"], {})[split] = q
    if args.facts:
        pairs = {f: pairs[f] for f in sorted(pairs)[: args.facts]}
    path = args.memory_dir or load_settings().resolved_memory_dir()
    store = NoteStore(path)
    if store.count() == 0:
        print(f"no notes in {path}: run `tui-agent notes add --builtin python-docs` first", file=sys.stderr)
        return 2
    notes = Memo(store)
    vectors = Vectors(shared_embedder(), [q["question"] for p in pairs.values() for q in p.values()])
    print(f"{store.count()} notes; {len(pairs)} facts, halves of {len(pairs) // 2}; {args.seeds} seeds; "
          f"reward {args.reward}; {args.epochs} epoch(s), top {args.k_train} rewarded")

    if args.fit:
        with tempfile.TemporaryDirectory() as tmp:
            retriever = make_retriever("feature scorer", notes, vectors, tmp)
            order = [pairs[f]["train"] for f in sorted(pairs)]
            random.Random(0).shuffle(order)
            for q in order:
                used = retriever.retrieve(q["question"], args.k_train)
                retriever.learn(q["question"], used, [reward_of(args.reward, u, q) for u in used])
            weights = retriever.ranker.summary()["weights"]
        from tui_agent.chat.note_ranker import HYBRID_WEIGHTS

        weights.update({k: v for k, v in HYBRID_WEIGHTS.items() if k.startswith("q_")})  # never vary without Q
        print("INITIAL_WEIGHTS = {" + ", ".join(f'"{k}": {v}' for k, v in weights.items() if v) + "}")
        return 0

    runs: dict[str, list[dict]] = {}
    for learner in learners:
        for seed in range(args.seeds):
            r = run_seed(seed, learner, notes, vectors, pairs, args)
            runs.setdefault(learner, []).append(r)
            print(f"{learner:>14} seed {seed}: R@1 seen {np.mean(list(r['seen'].values())):.3f}, unseen "
                  f"{np.mean(list(r['unseen'].values())):.3f}; training {r['train_s']:.1f} s", flush=True)

    rng = np.random.default_rng(0)
    table: dict[str, dict[str, Any]] = {}
    print(f"\nR@1 of the gold section on the test wordings (mean over {args.seeds} seeds); "
          "difference to hybrid with paired bootstrap 95 % CI over questions")
    print("| learner | R@1 seen | R@1 unseen | seen − hybrid [CI] | unseen − hybrid [CI] |\n|---|---|---|---|---|")
    for learner in learners:
        row: dict[str, Any] = {}
        for split in ("seen", "unseen"):
            row[f"r1_{split}"] = float(np.mean([np.mean(list(r[split].values())) for r in runs[learner]]))
            diffs: dict[Any, list[float]] = {}
            for r, base in zip(runs[learner], runs["hybrid"]):
                for fact, h in r[split].items():
                    diffs.setdefault(fact, []).append(h - base[split][fact])
            row[f"diff_{split}"] = paired(diffs, args.boots, rng)
        table[learner] = row
        cells = [f"{row['r1_seen']:.3f}", f"{row['r1_unseen']:.3f}"]
        if learner != "hybrid":
            cells += [f"{m:+.3f} [{lo:+.3f}, {hi:+.3f}]" for m, lo, hi in (row["diff_seen"], row["diff_unseen"])]
        else:
            cells += ["", ""]
        print(f"| {learner} | " + " | ".join(cells) + " |")
    for learner in learners:
        if "ranker" in runs[learner][0]:
            print(f"{learner} weights (seed 0): {runs[learner][0]['ranker']['weights']}")
    if args.json:
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "table": table,
                                         "ranker": {k: [r.get("ranker") for r in v] for k, v in runs.items()}},
                                        indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
