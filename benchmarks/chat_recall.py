"""Chat recall of taught facts from reworded questions: old rule vs new rule.

Loads ``tests/data/chat_paraphrases.json`` (splits ``dev``, used to tune
:mod:`tui_agent.chat.recall`, and ``test``, evaluated once with the rule
fixed) plus the 10 facts of ``tests/learning_facts.py`` (split ``learning``).
For each split every fact is in memory together (Q = 1, as after a
correction); each paraphrase and each negative is asked once.

Prints, per split:
  (a) distributions (min / 5th pct / median / max) of each signal for
      paraphrase → own fact, paraphrase → best other fact, negative → best fact;
  (b) recall / wrong-fact / false recall of the OLD rule (f_question ≥ 0.78)
      and of the NEW rule (:func:`tui_agent.chat.recall.choose_recall`).

Output: one JSON object per line (``{"kind": "dist" | "rule", ...}``), then a
readable table. Usage::

    HF_HUB_OFFLINE=1 python benchmarks/chat_recall.py [--splits dev test learning] [--json-only]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from tui_agent.chat import recall  # noqa: E402

DATA = ROOT / "tests" / "data" / "chat_paraphrases.json"
OLD_RULE_SIMILARITY = 0.78
SIGNALS = ("f_question", "f_answer", "f_qa", "f_novel")


def load_split(name: str) -> tuple[list[dict], list[tuple[str, int, bool]]]:
    """Facts ``[{question, answer}]`` and probes ``[(text, own fact index or −1, hard)]``."""
    if name == "learning":
        spec = importlib.util.spec_from_file_location("learning_facts", ROOT / "tests" / "learning_facts.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        facts = [{"question": q, "answer": a} for q, a, _p, _k in mod.FACTS]
        probes = [(p, i, False) for i, (_q, _a, p, _k) in enumerate(mod.FACTS)]
        probes += [(u, -1, False) for u in mod.UNRELATED]
        return facts, probes
    split = json.loads(DATA.read_text())[name]
    facts = split["facts"]
    probes = [(p, i, False) for i, f in enumerate(facts) for p in f["paraphrases"]]
    probes += [(n["question"], -1, bool(n["hard"])) for n in split["negatives"]]
    return facts, probes


def evaluate(name: str, embedder) -> dict:
    facts, probes = load_split(name)
    questions = [f["question"] for f in facts]
    answers = [f["answer"] for f in facts]
    qv = embedder.encode(questions)
    av = embedder.encode(answers)
    qav = embedder.encode([f"{q} {a}" for q, a in zip(questions, answers)])
    pv = embedder.encode([p for p, _, _ in probes])
    q_values = np.ones(len(facts))

    feats = {s: np.zeros((len(probes), len(facts))) for s in SIGNALS}
    subs = np.zeros((len(probes), len(facts)), dtype=bool)
    for k, (text, _own, _hard) in enumerate(probes):
        # min_question=-1: f_novel for every pair, for the distributions
        rf = recall.recall_features(text, pv[k], questions, answers, qv, av, embedder.encode, min_question=-1.0)
        feats["f_question"][k] = rf.f_question
        feats["f_answer"][k] = rf.f_answer
        feats["f_qa"][k] = qav @ pv[k]
        feats["f_novel"][k] = rf.f_novel
        subs[k] = rf.substitution

    # (a) distributions; f_novel NaN (no novel words: every content word is in the fact) counts as 1.0
    dists = []
    own_idx = [k for k, p in enumerate(probes) if p[1] >= 0]
    neg_idx = [k for k, p in enumerate(probes) if p[1] < 0]
    for signal in SIGNALS:
        m = np.nan_to_num(feats[signal], nan=1.0)
        groups = {
            "paraphrase→own": [m[k, probes[k][1]] for k in own_idx],
            "paraphrase→best other": [np.delete(m[k], probes[k][1]).max() for k in own_idx if len(facts) > 1],
            "negative→best": [m[k].max() for k in neg_idx],
            "hard negative→best": [m[k].max() for k in neg_idx if probes[k][2]],
        }
        for group, values in groups.items():
            if not values:
                continue
            v = np.asarray(values)
            dists.append({"kind": "dist", "split": name, "signal": signal, "group": group, "n": len(v),
                          "min": round(float(v.min()), 3), "p5": round(float(np.percentile(v, 5)), 3),
                          "median": round(float(np.median(v)), 3), "max": round(float(v.max()), 3)})

    # (b) rules
    def old_rule(k: int) -> int | None:
        fq = feats["f_question"][k]
        ok = np.where((fq >= OLD_RULE_SIMILARITY) & (q_values >= recall.MIN_Q))[0]
        return int(ok[np.argmax(q_values[ok] * fq[ok])]) if len(ok) else None

    def new_rule(k: int) -> int | None:
        fn = feats["f_novel"][k].copy()
        return recall.choose_recall(feats["f_question"][k], fn, subs[k], q_values)

    rules = []
    for rule_name, rule in (("old f_q>=0.78", old_rule), ("new", new_rule)):
        hit = wrong = false = false_hard = 0
        misses, wrongs, falses = [], [], []
        for k, (text, own, hard) in enumerate(probes):
            choice = rule(k)
            if own >= 0:
                if choice == own:
                    hit += 1
                elif choice is None:
                    misses.append(text)
                else:
                    wrong += 1
                    wrongs.append([text, questions[choice]])
            elif choice is not None:
                false += 1
                false_hard += hard
                falses.append([text, questions[choice]])
        n_pos, n_neg = len(own_idx), len(neg_idx)
        n_hard = sum(1 for p in probes if p[1] < 0 and p[2])
        rules.append({"kind": "rule", "split": name, "rule": rule_name, "facts": len(facts),
                      "paraphrases": n_pos, "negatives": n_neg, "hard_negatives": n_hard,
                      "recall": round(hit / n_pos, 3), "wrong_fact": round(wrong / n_pos, 3),
                      "false_recall": round(false / n_neg, 3) if n_neg else None,
                      "false_recall_hard": round(false_hard / n_hard, 3) if n_hard else None,
                      "recalled": hit, "wrong": wrong, "false": false,
                      "wrong_examples": wrongs, "false_examples": falses, "missed": misses})
    return {"dists": dists, "rules": rules}


def table(results: list[dict]) -> str:
    lines = ["", "Similarity distributions (min / p5 / median / max)", ""]
    lines.append(f"{'split':9s} {'signal':11s} {'group':22s} {'n':>3s}   min    p5   med   max")
    for r in results:
        for d in r["dists"]:
            lines.append(f"{d['split']:9s} {d['signal']:11s} {d['group']:22s} {d['n']:3d}  "
                         f"{d['min']:.2f}  {d['p5']:.2f}  {d['median']:.2f}  {d['max']:.2f}")
    lines += ["", "Rules (all facts of a split in memory together, Q = 1)", ""]
    lines.append(f"{'split':9s} {'rule':14s} {'recall':>12s} {'wrong fact':>11s} {'false recall':>13s} {'(hard)':>8s}")
    for r in results:
        for x in r["rules"]:
            fr = "—" if x["false_recall"] is None else f"{x['false']}/{x['negatives']} {x['false_recall']:.0%}"
            frh = "—" if x["false_recall_hard"] is None else f"{x['false_recall_hard']:.0%}"
            lines.append(f"{x['split']:9s} {x['rule']:14s} {x['recalled']:3d}/{x['paraphrases']:<3d} {x['recall']:4.0%} "
                         f"{x['wrong']:5d} {x['wrong_fact']:4.0%} {fr:>13s} {frh:>8s}")
    for r in results:
        for x in r["rules"]:
            for text, got in x["false_examples"]:
                lines.append(f"  false [{x['split']}, {x['rule']}]: {text!r} → {got!r}")
            for text, got in x["wrong_examples"]:
                lines.append(f"  wrong [{x['split']}, {x['rule']}]: {text!r} → {got!r}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", nargs="+", default=["dev", "test", "learning"])
    parser.add_argument("--json-only", action="store_true")
    args = parser.parse_args(argv)

    from tui_agent.embedding.encoder import shared_embedder

    start = time.perf_counter()
    embedder = shared_embedder()
    embedder.load()
    results = [evaluate(s, embedder) for s in args.splits]
    for r in results:
        for line in r["dists"] + r["rules"]:
            print(json.dumps(line, ensure_ascii=False))
    if not args.json_only:
        print(table(results))
        print(f"\n{time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
