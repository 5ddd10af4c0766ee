"""Chat recall on seen vs held-out facts: the recall bands vs the one-threshold rule, paired, with CIs.

Which items each part of the chat's recall was fitted or tuned on (docs/chat_recall.md):

* ``dev`` of ``tests/data/chat_natural.json``: the bands' default weights and edges were fitted here
  (**seen**); ``test``: never used to fit anything (**held out**);
* ``adv-dev`` of ``tests/data/chat_paraphrases.json`` and the 10 ``learning`` facts: the one-threshold
  rule (paths A, A′, B; one of the bands' features) was tuned here (**seen** by the rule); ``adv-test``:
  run once with the rule fixed (**held out**).

Every fact of a split is in memory together (Q = 1, as after a correction) and each question is
matched as the agent does (:func:`benchmarks.chat_natural.match_all`, the agent's own
``match_taught``). Per question and rule: answered from memory with its own fact (**recalled**) and
the taught answer shown to the user at all (**shown**: recalled, or suggested under a generated
answer — the rule has no suggestion, so for it shown = recalled); for negatives the same two are
errors. The rules compared on the same questions: **bands** (the chat now), **rule** (the
one-threshold rule it replaced: the eligible taught answer with the highest question cosine) and
**old** (question cosine of the nearest taught question ≥ 0.78). Differences bands − rule are paired
per question with a cluster bootstrap over facts (the rewordings of one fact are drawn together;
each negative is its own cluster): :mod:`benchmarks.stats`, 10,000 resamples, 95 %, seed 0.

Seeds (``--seeds``): the order in which the facts are taught (stored); the run checks that every
question's outcome is the same in every order (the in-process match has no other randomness).

Usage::

    HF_HUB_OFFLINE=1 python benchmarks/chat_heldout.py [--seeds 3] [--json docs/chat_natural/heldout.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SPLITS = {"dev": "seen: bands fitted", "test": "held out", "adv-dev": "seen: rule tuned",
          "adv-test": "held out", "learning": "seen: rule tuned"}
GROUPS = {"natural": ("natural",), "far": ("far",), "paraphrase": ("paraphrase",), "negative": ("hard", "easy")}
RULES = ("bands", "rule", "old")


def decide(pairs: list[tuple[int, list[float]]], band: str, band_fact: int) -> dict[str, tuple[str, int]]:
    """Per rule: (``recall`` | ``suggest`` | ``none``, fact index or −1) for one question's taught candidates.

    ``pairs``: (fact, band features) of each taught candidate (f_question first, the rule's verdict last);
    ``band``, ``band_fact``: what the bands decided.
    """
    from benchmarks.chat_recall import OLD_RULE_SIMILARITY

    eligible = [(x[0], fact) for fact, x in pairs if x[-1] >= 0.5]
    rule = ("recall", max(eligible)[1]) if eligible else ("none", -1)
    nearest = max(((x[0], fact) for fact, x in pairs), default=(-1.0, -1))
    old = ("recall", nearest[1]) if nearest[0] >= OLD_RULE_SIMILARITY else ("none", -1)
    return {"bands": (band, band_fact), "rule": rule, "old": old}


def per_question(split: str, seed: int, embedder) -> list[dict]:
    """One row per question of ``split``: kind, fact, and per rule whether it recalled / showed its own fact
    (for a negative: whether it recalled / showed any taught answer). Facts taught in a seeded order."""
    from benchmarks.chat_natural import Probe, load_split, match_all, outcomes
    from tui_agent.chat import bands

    facts, probes = load_split(split)
    order = np.random.default_rng(seed).permutation(len(facts)) if seed else np.arange(len(facts))
    new_index = {int(old): new for new, old in enumerate(order)}
    facts = [facts[int(i)] for i in order]
    probes = [Probe(p.text, p.kind, new_index[p.own] if p.own >= 0 else -1, p.rank) for p in probes]
    feats = match_all(facts, probes, embedder)
    res = outcomes(bands.RecallModel(), probes, feats)
    rows = []
    for probe, pairs, (band, _own, _p, fact) in zip(probes, feats, res):
        row = {"text": probe.text, "kind": probe.kind, "fact": int(order[probe.own]) if probe.own >= 0 else -1}
        for rule, (verdict, chosen) in decide(pairs, band, fact).items():
            hit = probe.own < 0 or chosen == probe.own
            row[f"{rule}_recalled"] = verdict == "recall" and hit
            row[f"{rule}_shown"] = verdict != "none" and hit
        rows.append(row)
    return rows


def table(results: dict[str, list[dict]]) -> tuple[list[str], list[dict]]:
    """Markdown lines and the figures: per split and kind, recalled and shown for each rule, bands − rule [CI]."""
    from benchmarks.stats import paired_bootstrap

    lines = ["| split | items | n (facts) | measure | bands | one-threshold rule | old (cosine ≥ 0.78) "
             "| bands − rule [95 % CI] |", "|---|---|---|---|---:|---:|---:|---|"]
    figures = []
    for split, rows in results.items():
        for group, kinds in GROUPS.items():
            sub = [r for r in rows if r["kind"] in kinds]
            if not sub:
                continue
            negative = group == "negative"
            clusters = [f"q{k}" if negative else f"f{r['fact']}" for k, r in enumerate(sub)]
            for measure in ("recalled", "shown"):
                share = {rule: float(np.mean([r[f"{rule}_{measure}"] for r in sub])) for rule in RULES}
                ci = paired_bootstrap([float(r[f"bands_{measure}"]) for r in sub],
                                      [float(r[f"rule_{measure}"]) for r in sub], groups=clusters)
                label = ("answered from memory (error)" if measure == "recalled" else "shown (error)") if negative \
                    else ("recalled, own fact" if measure == "recalled" else "shown, own fact")
                facts = "" if negative else f" ({ci.clusters})"
                lines.append(f"| {split} ({SPLITS[split]}) | {group} | {len(sub)}{facts} | {label} | "
                             + " | ".join(f"{100 * share[r]:.0f} %" for r in RULES)
                             + f" | {ci.text(100, 1)} |")
                figures.append({"split": split, "items": group, "measure": measure, "n": len(sub),
                                "clusters": ci.clusters, **share, "bands_minus_rule": ci.mean,
                                "ci": [ci.low, ci.high]})
    return lines, figures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--splits", nargs="+", default=list(SPLITS), choices=list(SPLITS))
    ap.add_argument("--seeds", type=int, default=3, help="Teaching orders (seed 0: the data's order).")
    ap.add_argument("--json", type=Path, default=None, help="Also write per-question outcomes and the figures here.")
    args = ap.parse_args(argv)
    if args.seeds < 1:
        ap.error("--seeds must be at least 1")

    from tui_agent.embedding.encoder import shared_embedder

    embedder = shared_embedder()
    embedder.load()
    results, same = {}, {}
    for split in args.splits:
        runs = [per_question(split, seed, embedder) for seed in range(args.seeds)]
        same[split] = all(r == runs[0] for r in runs[1:])
        results[split] = runs[0]
        print(f"{split}: {len(runs[0])} questions; the same outcome for every question in {args.seeds} teaching "
              f"orders: {same[split]}", flush=True)
    lines, figures = table(results)
    print("\n" + "\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps({"command": "python benchmarks/chat_heldout.py " + " ".join(argv or sys.argv[1:]),
                                         "seeds": args.seeds, "same_in_every_order": same, "figures": figures,
                                         "questions": results}, ensure_ascii=False, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
