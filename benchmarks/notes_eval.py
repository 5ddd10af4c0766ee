"""Knowledge-notes benchmark: does retrieval find the gold section, does learning from reward help, and
does the bundled model answer better with notes?

On the Python 3.11 docs pages shipped with tui-agent (``tui-agent notes add --builtin python-docs``) and
the bundled question set (:func:`tui_agent.envs.docqa.questions.load_questions`, written by
``benchmarks/notes_questions.py``; 196 facts, each asked two ways: the train phrasing and the test
phrasing), it prints for the test questions:

* recall@1/3/5 of the gold section (a retrieved note whose source and heading path are the gold ones)
  for BM25 alone (LanceDB FTS), vectors alone (all-MiniLM-L6-v2 cosine), hybrid (both, RRF), and
  hybrid + learned Q (:class:`tui_agent.chat.notes.NoteRetriever`) after one pass over the train
  questions with the tutorial's reward (1 if a retrieved note contains the answer, else 0; top 5
  retrieved, each note one RLEM decision). Learned runs are repeated with ``--seeds`` training orders
  (mean ± standard deviation) and a paired bootstrap 95 % interval of learned − hybrid recall@1
  (:mod:`benchmarks.stats`). Split: every test question asks a fact whose train wording was learned,
  so these are **seen facts** in other words; ``benchmarks/notes_transfer.py`` trains on half the facts
  and reports the unseen half beside them;
* the bundled model's answer accuracy (the answer string in its reply, case-insensitive) on the first
  ``--answers`` test questions with no notes, with the top-2 hybrid notes and with the top-2 learned notes.

Run (the notes take a few minutes to embed once):

    TUI_AGENT_HOME=/tmp/notes-bench .venv/bin/tui-agent notes add --builtin python-docs
    TUI_AGENT_HOME=/tmp/notes-bench .venv/bin/python benchmarks/notes_eval.py --seeds 5 --answers 40

Tiny configuration (the first 20 facts, one training order, two answers; a minute or two):

    TUI_AGENT_HOME=/tmp/notes-bench .venv/bin/python benchmarks/notes_eval.py --facts 20 --seeds 1 --answers 2
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KS = (1, 3, 5)
SYSTEM = ("Answer the question in a few words. Use the notes below when they help; they are excerpts of "
          "the Python documentation.")


def hit(note_source: str, note_heading: str, q: dict) -> bool:
    return note_source == q["source"] and note_heading == q["heading"]


def recall(ranked: list[list[tuple[str, str]]], qs: list[dict]) -> dict[int, float]:
    """recall@k: share of questions with the gold section among the first k results."""
    return {k: float(np.mean([any(hit(s, h, q) for s, h in r[:k]) for r, q in zip(ranked, qs)])) for k in KS}


def per_question_hits(ranked, qs, k=1) -> np.ndarray:
    return np.array([any(hit(s, h, q) for s, h in r[:k]) for r, q in zip(ranked, qs)], dtype=float)


def train_and_rank(notes, vectors, train, test, seed: int, k_train: int, epochs: int, tmp: str):
    """Train a fresh retriever (decisions in the experience store at ``tmp``) and rank the test questions."""
    from tui_agent.chat.notes import NoteRetriever, contains_answer
    from tui_agent.memory.store import ExperienceStore

    experiences = ExperienceStore(tmp)
    retriever = NoteRetriever(notes, experiences, vectors)
    order = list(train)
    rng = random.Random(seed)
    start = time.perf_counter()
    for _ in range(epochs):
        rng.shuffle(order)
        for q in order:
            used = retriever.retrieve(q["question"], k_train)
            retriever.learn(q["question"], used, [1.0 if contains_answer(u.text, q["answer"]) else 0.0
                                                  for u in used])
    seconds = time.perf_counter() - start
    ranked = [[(u.source, u.heading) for u in retriever.retrieve(q["question"], 5)] for q in test]
    return ranked, seconds, retriever, experiences.count()


class CachedVectors:
    """The embedder with the questions' vectors computed once."""

    def __init__(self, embedder, texts):
        self.embedder = embedder
        self.cache = dict(zip(texts, embedder.encode(list(texts))))

    def encode_one(self, text):
        if text not in self.cache:
            self.cache[text] = self.embedder.encode_one(text)
        return self.cache[text]

    def encode(self, texts):
        return np.stack([self.encode_one(t) for t in texts]) if texts else np.zeros((0, 384), np.float32)


def answer_accuracy(qs, contexts_by_condition, max_tokens=40):
    from tui_agent.chat.notes import contains_answer
    from tui_agent.llm.local import runtime

    rt = runtime(2048)
    out = {}
    for name, contexts in contexts_by_condition.items():
        correct = 0
        for q, notes in zip(qs, contexts):
            user = q["question"]
            if notes:
                user = "Notes:\n" + "\n\n".join(f"[{i + 1}] {t}" for i, t in enumerate(notes)) + \
                       f"\n\nQuestion: {q['question']}"
            reply = rt.chat([{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}],
                            max_tokens=max_tokens, temperature=0.0)["choices"][0]["message"]["content"]
            correct += contains_answer(reply or "", q["answer"])
        out[name] = correct / len(qs) if qs else 0.0
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--memory-dir", type=Path, default=None, help="Memory directory with the notes (default: settings).")
    ap.add_argument("--seeds", type=int, default=5, help="Training orders for the learned runs.")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--k-train", type=int, default=5, help="Notes retrieved (and rewarded) per training question.")
    ap.add_argument("--answers", type=int, default=40, help="Test questions for the model's answer accuracy (0: skip).")
    ap.add_argument("--facts", type=int, default=0,
                    help="Only the first N facts (their train and test questions; 0: all 196).")
    ap.add_argument("--json", type=Path, default=None, help="Also write the figures to this file.")
    args = ap.parse_args(argv)
    if args.seeds < 1 or args.epochs < 1 or args.k_train < 1 or args.answers < 0 or args.facts < 0:
        ap.error("--seeds, --epochs and --k-train must be at least 1; --answers and --facts at least 0")

    from tui_agent.config.settings import load_settings
    from tui_agent.embedding.encoder import shared_embedder
    from tui_agent.envs.docqa.questions import load_questions
    from tui_agent.notes.store import NoteStore

    train, test = load_questions("train"), load_questions("test")
    if args.facts:
        train, test = train[: args.facts], test[: args.facts]
    qs = train + test
    path = args.memory_dir or load_settings().resolved_memory_dir()
    notes = NoteStore(path)
    if notes.count() == 0:
        print(f"no notes in {path}: run `tui-agent notes add --builtin python-docs` first", file=sys.stderr)
        return 2
    vectors = CachedVectors(shared_embedder(), [q["question"] for q in qs])
    print(f"{notes.count()} notes; {len(train)} train / {len(test)} test questions")

    t0 = time.perf_counter()
    bm25 = [[(f.note.source, f.note.heading) for f in notes.search_text(q["question"], 5)] for q in test]
    vec = [[(f.note.source, f.note.heading) for f in notes.search_vector(vectors.encode_one(q["question"]), 5)]
           for q in test]
    hyb = [[(f.note.source, f.note.heading) for f in notes.search_hybrid(q["question"], vectors.encode_one(q["question"]), 5)]
           for q in test]
    rows = {"BM25 (LanceDB FTS)": recall(bm25, test), "vectors (MiniLM cosine)": recall(vec, test),
            "hybrid (RRF)": recall(hyb, test)}
    print(f"baselines: {time.perf_counter() - t0:.1f} s")

    learned_runs, first = [], None
    keep = tempfile.TemporaryDirectory()  # seed 0's decisions, used again for the answers below
    for seed in range(args.seeds):
        with tempfile.TemporaryDirectory() as tmp:
            ranked, seconds, retriever, decisions = train_and_rank(notes, vectors, train, test, seed, args.k_train,
                                                                   args.epochs, keep.name if seed == 0 else tmp)
        learned_runs.append(recall(ranked, test))
        print(f"seed {seed}: training {seconds:.1f} s, {decisions} decisions stored; "
              + ", ".join(f"R@{k} {v:.3f}" for k, v in learned_runs[-1].items()))
        if first is None:
            first = (ranked, retriever)
    learned_mean = {k: statistics.mean(r[k] for r in learned_runs) for k in KS}
    learned_sd = {k: statistics.pstdev(r[k] for r in learned_runs) for k in KS}
    rows[f"hybrid + learned Q ({args.seeds} seeds)"] = learned_mean

    diff = per_question_hits(first[0], test) - per_question_hits(hyb, test)
    from benchmarks.stats import paired_bootstrap

    interval = paired_bootstrap(diff, resamples=2000)
    ci = (interval.low, interval.high)

    print(f"\nrecall of the gold section on {len(test)} test questions")
    print("| retrieval | R@1 | R@3 | R@5 |\n|---|---|---|---|")
    for name, r in rows.items():
        sd = learned_sd if "learned" in name else None
        cells = [f"{r[k]:.3f}" + (f" ± {sd[k]:.3f}" if sd else "") for k in KS]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"learned − hybrid R@1 (seed 0): {diff.mean():+.3f}, paired bootstrap 95 % CI [{ci[0]:+.3f}, {ci[1]:+.3f}]; "
          f"across seeds R@1 sd {learned_sd[1]:.3f}")
    print("split: SEEN facts (each test question rewords a fact whose train wording was learned); facts never "
          "trained on: benchmarks/notes_transfer.py")

    result = {"recall": rows, "learned_sd": learned_sd, "learned_runs": learned_runs,
              "learned_minus_hybrid_r1": float(diff.mean()), "bootstrap_ci": ci, "test": len(test),
              "train": len(train), "notes": notes.count()}
    if args.answers:
        sub = test[: args.answers]
        t1 = time.perf_counter()
        hyb_notes = [[f.note.text for f in notes.search_hybrid(q["question"], vectors.encode_one(q["question"]), 2)]
                     for q in sub]
        learned_notes = [[u.text for u in first[1].retrieve(q["question"], 2)] for q in sub]
        acc = answer_accuracy(sub, {"no notes": [[] for _ in sub], "hybrid notes": hyb_notes,
                                    "learned retrieval": learned_notes})
        print(f"\nbundled model (SmolLM2-135M) answer accuracy on {len(sub)} test questions "
              f"({time.perf_counter() - t1:.0f} s)")
        print("| notes in the prompt | accuracy |\n|---|---|")
        for name, a in acc.items():
            print(f"| {name} | {a:.3f} ({round(a * len(sub))}/{len(sub)}) |")
        result["answer_accuracy"] = acc
        result["answer_questions"] = len(sub)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    keep.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
