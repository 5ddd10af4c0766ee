"""Taught answers from everyday rewordings: recall / suggest / none bands, per kind of question.

Data: ``tests/data/chat_natural.json`` (issue 20; facts with three natural rewordings and one far
rewording, hard and easy negatives; ``dev`` sets the defaults, ``test`` is evaluated with them
fixed), the adversarial paraphrases of ``tests/data/chat_paraphrases.json`` (docs/chat_recall.md,
kept as a guard against false recall) and the 10 facts of ``tests/learning_facts.py``.

Two modes:

* in-process (default, ~30 s): every fact of a split in memory together with Q = 1, as after a
  correction; each question is matched by :func:`tui_agent.chat.taught.match_taught` (the agent's
  own code) against the 12 nearest taught questions, as retrieval hands them over. Prints, per split
  and kind, the share recalled, suggested, wrong-fact and none. ``--fit`` refits the default weights
  and band edges on the dev split (printed; copy them into ``tui_agent/chat/bands.py``).
* ``--cli`` (end to end, ~20 min): the real CLI in new processes on a fresh memory —
  ``ask --json`` → ``rate ID down --correction`` for every fact, then every rewording and negative
  asked by ``ask --json``; then one dismissal per suggested hard negative (asked again: suggested
  again?), the "with use" curve (accept the first suggestion of a fact, ask its other natural
  rewordings again) and copied content (a negative's generated answer containing a taught answer's
  names / numbers). Also the time of a cold ``ask`` answered from memory.

Usage::

    HF_HUB_OFFLINE=1 python benchmarks/chat_natural.py [--fit] [--splits dev test …]
    HF_HUB_OFFLINE=1 python benchmarks/chat_natural.py --cli --split test [--limit N] [--out FILE]
    HF_HUB_OFFLINE=1 python benchmarks/chat_natural.py --latency 5     # cold ask: from memory vs generated
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from tui_agent.chat import bands, policy  # noqa: E402
from tui_agent.chat.taught import match_taught  # noqa: E402

NATURAL = ROOT / "tests" / "data" / "chat_natural.json"
ADVERSARIAL = ROOT / "tests" / "data" / "chat_paraphrases.json"
CANDIDATES = 12  # as tui_agent.chat.agent.CANDIDATES
KINDS = ("natural", "far", "paraphrase", "hard", "easy")


@dataclass
class Probe:
    text: str
    kind: str  # natural | far | paraphrase (adversarial set) | hard | easy
    own: int  # index of the fact it asks for; −1 for a negative
    rank: int = 0  # which natural rewording (0, 1, 2)


def load_split(name: str) -> tuple[list[dict], list[Probe]]:
    """Facts ``[{question, answer}]`` and probes of a split: ``dev``/``test`` (natural set),
    ``adv-dev``/``adv-test`` (adversarial set) or ``learning``."""
    if name == "learning":
        spec = importlib.util.spec_from_file_location("learning_facts", ROOT / "tests" / "learning_facts.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        facts = [{"question": q, "answer": a} for q, a, _p, _k in mod.FACTS]
        probes = [Probe(p, "natural", i) for i, (_q, _a, p, _k) in enumerate(mod.FACTS)]
        return facts, probes + [Probe(u, "easy", -1) for u in mod.UNRELATED]
    if name.startswith("adv-"):
        split = json.loads(ADVERSARIAL.read_text())[name[4:]]
        facts = split["facts"]
        probes = [Probe(p, "paraphrase", i) for i, f in enumerate(facts) for p in f["paraphrases"]]
        return facts, probes + [Probe(n["question"], "hard" if n["hard"] else "easy", -1) for n in split["negatives"]]
    split = json.loads(NATURAL.read_text())[name]
    facts = split["facts"]
    probes = [Probe(t, "natural", i, r) for i, f in enumerate(facts) for r, t in enumerate(f["natural"])]
    probes += [Probe(t, "far", i) for i, f in enumerate(facts) for t in f["far"]]
    return facts, probes + [Probe(n["question"], n["kind"], -1) for n in split["negatives"]]


def match_all(facts: list[dict], probes: list[Probe], embedder,
              used: bool = False) -> list[list[tuple[int, list[float]]]]:
    """Per probe: (fact index, band features) of each taught candidate, as the agent computes them.

    ``used``: every fact's first natural rewording was suggested and accepted before (a pairing with
    Q = 1 beside the taught question) — the "with use" memory.
    """
    from tui_agent.memory.schema import Experience

    keys = [(f["question"], f["answer"], i, "correction") for i, f in enumerate(facts)]
    if used:
        keys += [(f["natural"][0], f["answer"], i, "suggestion") for i, f in enumerate(facts) if f.get("natural")]
    qv = embedder.encode([k[0] for k in keys])
    pv = embedder.encode([p.text for p in probes])
    rows = [Experience(task=k[0], action=k[1], q=1.0, n=1, vector=v.tolist(), id=str(k[2]), source=k[3])
            for k, v in zip(keys, qv)]
    out = []
    for k, probe in enumerate(probes):
        sims = qv @ pv[k]
        top = np.argsort(-sims)[:CANDIDATES]
        cands = [policy.Candidate(rows[i], float(sims[i]), 1.0, float(sims[i])) for i in top
                 if not (used and rows[i].task == probe.text)]  # the accepted wording itself is not a probe
        matches = match_taught(probe.text, pv[k], cands, embedder.encode, bands.RecallModel(), 0.5)
        out.append([(int(m.candidate.experience.id), m.features) for m in matches])
    return out


def outcomes(model: bands.RecallModel, probes: list[Probe], feats) -> list[tuple[str, bool, float, int]]:
    """Per probe: (band of the most likely taught answer, it is the probe's own fact, its P, fact index)."""
    out = []
    for probe, pairs in zip(probes, feats):
        if not pairs:
            out.append(("none", False, 0.0, -1))
            continue
        p, found = model.assess(np.array([x for _, x in pairs]))
        best = int(np.argmax(p))
        out.append((found[best], pairs[best][0] == probe.own, float(p[best]), pairs[best][0]))
    return out


def summarise(split: str, probes: list[Probe], res) -> list[dict]:
    """Per kind: recalled / suggested (own fact for a rewording), wrong fact, none."""
    rows = []
    for kind in KINDS:
        idx = [k for k, p in enumerate(probes) if p.kind == kind]
        if not idx:
            continue
        row = {"kind": "bands", "split": split, "probe": kind, "n": len(idx)}
        if kind in ("hard", "easy"):
            row["recalled"] = sum(res[k][0] == "recall" for k in idx)
            row["suggested"] = sum(res[k][0] == "suggest" for k in idx)
            row["examples"] = [[probes[k].text, res[k][0], round(res[k][2], 3)] for k in idx if res[k][0] != "none"]
        else:
            row["recalled"] = sum(res[k][0] == "recall" and res[k][1] for k in idx)
            row["suggested"] = sum(res[k][0] == "suggest" and res[k][1] for k in idx)
            row["wrong_fact"] = sum(res[k][0] != "none" and not res[k][1] for k in idx)
            row["examples"] = [[probes[k].text, res[k][0], round(res[k][2], 3)] for k in idx
                               if res[k][0] == "none" or not res[k][1]]
        row["none"] = sum(res[k][0] == "none" for k in idx)
        rows.append(row)
    return rows


def fit_defaults(feats, probes) -> tuple[np.ndarray, float, float]:
    """Weights (ridge logistic, τ = 0.1 around 0) and band edges from the dev split.

    Examples: for each dev question its most similar taught question (highest f_question), labelled
    1 when it is the question's own fact — the pairing the decision is about. (Fitting on all 12
    candidates per question instead teaches "own fact vs an unrelated one", which is easy, and let
    25 % of test hard negatives into the recall band.)
    recall edge: the lowest P at which no dev negative and no wrong fact is recalled, but at least 0.9;
    suggest edge: the highest P at which ≥ 97 % of dev natural rewordings are recalled or suggested.
    """
    x, y = [], []
    for probe, pairs in zip(probes, feats):
        if pairs:
            fact, f = max(pairs, key=lambda pair: pair[1][0])
            x.append(f)
            y.append(int(fact == probe.own))
    w = np.round(bands.fit_logistic(np.array(x), np.array(y), np.zeros(len(bands.FEATURES) + 1), 0.1), 2)
    model = bands.RecallModel(tuple(float(v) for v in w), 1.0, 1.0)
    res = outcomes(model, probes, feats)
    bad = [r[2] for p, r in zip(probes, res) if p.own < 0 or not r[1]]
    recall_p = max(0.9, float(np.ceil(max(bad) * 1000 + 1e-9) / 1000) if bad else 0.9)
    natural = sorted((r[2] for p, r in zip(probes, res) if p.kind == "natural" and r[1]), reverse=True)
    need = int(np.ceil(0.97 * sum(p.kind == "natural" for p in probes)))
    suggest_p = natural[need - 1] if len(natural) >= need else natural[-1]
    return w, min(recall_p, 0.99), float(np.floor(suggest_p * 1000) / 1000)


def table(rows: list[dict]) -> str:
    lines = ["", f"{'split':9s} {'probe':10s} {'n':>3s} {'recalled':>9s} {'suggested':>10s} {'either':>7s} "
                 f"{'wrong':>6s} {'none':>5s}"]
    for r in rows:
        n = r["n"]
        either = r["recalled"] + r["suggested"]
        lines.append(f"{r['split']:9s} {r['probe']:10s} {n:3d} {r['recalled'] / n:9.0%} {r['suggested'] / n:10.0%} "
                     f"{either / n:7.0%} {r.get('wrong_fact', 0):6d} {r['none']:5d}")
    return "\n".join(lines)


def in_process(args) -> int:
    from tui_agent.embedding.encoder import shared_embedder

    embedder = shared_embedder()
    embedder.load()
    data = {s: load_split(s) for s in args.splits}
    feats = {s: match_all(*data[s], embedder) for s in args.splits}
    used = {s: match_all(*data[s], embedder, used=True) for s in args.splits if s in ("dev", "test")}
    model = bands.RecallModel()
    if args.fit:
        w, recall_p, suggest_p = fit_defaults(feats["dev"], data["dev"][1])
        print(json.dumps({"kind": "fit", "weights": [float(v) for v in w], "recall_p": recall_p,
                          "suggest_p": suggest_p}))
        model = bands.RecallModel(tuple(float(v) for v in w), recall_p, suggest_p)
    rows = []
    for s in args.splits:
        rows += summarise(s, data[s][1], outcomes(model, data[s][1], feats[s]))
    for s, run in used.items():  # with use: natural[0] accepted before; the others asked without and with it
        keep = [k for k, p in enumerate(data[s][1]) if not (p.kind == "natural" and p.rank == 0)]
        probes = [data[s][1][k] for k in keep]
        rows += summarise(f"{s}-r0", probes, outcomes(model, probes, [feats[s][k] for k in keep]))
        rows += summarise(f"{s}+use", probes, outcomes(model, probes, [run[k] for k in keep]))
    for r in rows:
        print(json.dumps(r, ensure_ascii=False))
    print(table(rows))
    if args.simulate:
        for s in ("test", "dev"):
            if s not in data:
                continue
            sim = simulate_use(*data[s], feats[s], args.simulate, args.precision)
            print(f"\nsimulated use, {s} split, {args.simulate} seeds, prior precision {args.precision}: "
                  "per quarter of the questions (mean over seeds)")
            for qi in range(1, 5):
                rs = [r for r in sim if r["quarter"] == qi]
                nat, neg = sum(r["nat"] for r in rs), sum(r["neg"] for r in rs)
                line = {"kind": "use", "split": s, "quarter": qi,
                        "natural_recalled": round(sum(r["nat_recall"] for r in rs) / nat, 3),
                        "natural_recalled_or_suggested": round(sum(r["nat_either"] for r in rs) / nat, 3),
                        "negative_recalled": round(sum(r["neg_recall"] for r in rs) / neg, 3),
                        "negative_suggested": round(sum(r["neg_suggest"] for r in rs) / neg, 3)}
                print(json.dumps(line))
    return 0


def simulate_use(facts: list[dict], probes: list[Probe], feats, seeds: int, precision: float) -> list[dict]:
    """A user asks every question of a split once, in a random order (per seed), and rates what is shown:
    a recalled or suggested answer 👍 when it is the question's own fact, 👎 otherwise; each rating
    refits the memory's :class:`~tui_agent.chat.bands.Calibration` (in RAM). Per quarter of the
    stream: natural rewordings recalled / recalled-or-suggested, negatives recalled / suggested."""
    out = []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        cal = bands.Calibration(None, precision=precision)
        cal._refit()
        order = rng.permutation(len(probes))
        quarters = np.array_split(order, 4)
        for qi, part in enumerate(quarters):
            row = {"seed": seed, "quarter": qi + 1, "nat": 0, "nat_recall": 0, "nat_either": 0, "neg": 0,
                   "neg_recall": 0, "neg_suggest": 0}
            for k in part:
                probe, pairs = probes[k], feats[k]
                res = outcomes(cal.model, [probe], [pairs])[0]
                band, own, _p, fact = res
                if probe.kind == "natural":
                    row["nat"] += 1
                    row["nat_recall"] += band == "recall" and own
                    row["nat_either"] += band != "none" and own
                elif probe.own < 0:
                    row["neg"] += 1
                    row["neg_recall"] += band == "recall"
                    row["neg_suggest"] += band == "suggest"
                if band != "none":
                    x = next(f for i, f in pairs if i == fact)
                    cal.remember(str(k), x)
                    cal.label(str(k), correct=bool(own))
            out.append(row)
    return out


# --- end to end through the CLI ------------------------------------------------------------------

def cli(memory: Path, *argv: str) -> tuple[dict, float]:
    """Run ``tui-agent ARGV --json`` in a new process; (its JSON, wall seconds)."""
    env = {**os.environ, "TUI_AGENT_MEMORY_DIR": str(memory), "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "tui_agent", *argv, "--json"], capture_output=True, text=True,
                         env=env, timeout=600)
    took = time.perf_counter() - start
    if out.returncode not in (0, 3):
        raise RuntimeError(f"{argv}: exit {out.returncode}: {out.stderr[-500:]}")
    return json.loads(out.stdout.strip().splitlines()[-1]), took


def classify(ans: dict, facts: list[dict], own: int) -> str:
    """recalled | suggested | wrong-recall | wrong-suggestion | none, for the probe's own fact."""
    taught = {f["answer"]: i for i, f in enumerate(facts)}
    if ans["model"] == "memory":
        return "recalled" if taught.get(ans["answer"]) == own else "wrong-recall"
    sug = ans.get("suggestion")
    if sug:
        return "suggested" if taught.get(sug["answer"]) == own else "wrong-suggestion"
    return "none"


def copied(ans: dict, facts: list[dict]) -> str | None:
    """The taught answer whose names / numbers a *generated* answer repeats, if any."""
    if ans["model"] == "memory":
        return None
    for f in facts:
        if policy.says_same(ans["answer"], f["answer"], f["question"], 101):
            return f["answer"]
    return None


def end_to_end(args) -> int:
    facts, probes = load_split(args.split)
    if args.limit:
        facts = facts[: args.limit]
        probes = [p for p in probes if p.own < len(facts)][: args.limit * 6]
    memory = Path(tempfile.mkdtemp(prefix="chat-natural-")) / "memory"
    log = open(args.out, "w") if args.out else None

    def emit(row: dict) -> None:
        line = json.dumps(row, ensure_ascii=False)
        print(line, flush=True)
        if log:
            log.write(line + "\n")
            log.flush()

    for i, f in enumerate(facts):  # teach: ask, 👎, correction — three new processes' worth of steps
        ans, _ = cli(memory, "ask", f["question"])
        if ans["model"] == "memory" or ans["id"] is None:
            emit({"kind": "teach-skip", "fact": i, "answer": ans["answer"]})
            continue
        cli(memory, "rate", ans["id"], "down", "--correction", f["answer"])
    emit({"kind": "taught", "facts": len(facts)})

    def ask(probe: Probe) -> dict:
        ans, took = cli(memory, "ask", probe.text)
        row = {"kind": "probe", "probe": probe.kind, "text": probe.text, "own": probe.own, "rank": probe.rank,
               "outcome": classify(ans, facts, probe.own), "copied": copied(ans, facts), "seconds": round(took, 2),
               "model": ans["model"], "answer": ans["answer"][:200], "suggestion": ans.get("suggestion")}
        emit(row)
        return row

    first = [p for p in probes if not (p.kind == "natural" and p.rank > 0)]
    with ThreadPoolExecutor(args.workers) as pool:
        rows = list(pool.map(ask, first))
    later = [ask(p) for p in probes if p.kind == "natural" and p.rank > 0]  # before any acceptance
    rows += later
    # dismissal: a suggested hard negative, dismissed once, must not be suggested again
    dismissed = []
    for r in rows:
        if r["probe"] == "hard" and r["suggestion"] and r["suggestion"]["id"]:
            cli(memory, "rate", r["suggestion"]["id"], "down")
            again, _ = cli(memory, "ask", r["text"])
            same = bool(again.get("suggestion")) and again["suggestion"]["answer"] == r["suggestion"]["answer"]
            dismissed.append({"text": r["text"], "suggested_again": same, "recalled": again["model"] == "memory"})
    emit({"kind": "dismissal", "n": len(dismissed), "suggested_again": sum(d["suggested_again"] for d in dismissed),
          "recalled": sum(d["recalled"] for d in dismissed), "items": dismissed})
    # with use: accept the first suggestion of each fact, ask its later natural rewordings again
    curve = {"before": [], "after": []}
    by_fact: dict[int, list[dict]] = {}
    for r in rows:
        if r["probe"] == "natural":
            by_fact.setdefault(r["own"], []).append(r)
    for own, rs in sorted(by_fact.items()):
        rs.sort(key=lambda r: r["rank"])
        accepted = next((r for r in rs if r["outcome"] == "suggested"), None)
        if accepted is None:
            continue
        cli(memory, "rate", accepted["suggestion"]["id"], "up")
        for r in rs:
            if r["rank"] > accepted["rank"]:
                again, _ = cli(memory, "ask", r["text"])
                curve["before"].append(r["outcome"] == "recalled")
                curve["after"].append(classify(again, facts, own) == "recalled")
    emit({"kind": "with-use", "facts_accepted": sum(1 for rs in by_fact.values()
                                                     if any(r["outcome"] == "suggested" for r in rs)),
          "later_rewordings": len(curve["before"]), "recalled_before": sum(curve["before"]),
          "recalled_after": sum(curve["after"])})
    recall_times = [r["seconds"] for r in rows if r["model"] == "memory"]
    gen_times = [r["seconds"] for r in rows if r["model"] != "memory"]
    emit({"kind": "latency", "recalled_median_s": round(statistics.median(recall_times), 2) if recall_times else None,
          "generated_median_s": round(statistics.median(gen_times), 2) if gen_times else None,
          "workers": args.workers})
    summary = []
    for kind in KINDS:
        rs = [r for r in rows if r["probe"] == kind]
        if rs:
            counts = {o: sum(r["outcome"] == o for r in rs) for o in
                      ("recalled", "suggested", "wrong-recall", "wrong-suggestion", "none")}
            summary.append({"kind": "summary", "split": args.split, "probe": kind, "n": len(rs), **counts,
                            "copied": sum(bool(r["copied"]) for r in rs)})
    for s in summary:
        emit(s)
    return 0


def latency(args) -> int:
    """Cold ``tui-agent ask`` (a new process each) answered from memory vs generated, sequentially."""
    memory = Path(tempfile.mkdtemp(prefix="chat-latency-")) / "memory"
    first, _ = cli(memory, "ask", "Who is the mayor of Quellport?")
    cli(memory, "rate", first["id"], "down", "--correction", "Mara Lindqvist")
    times: dict[str, list[float]] = {"memory": [], "generated": []}
    for _ in range(args.latency):
        ans, took = cli(memory, "ask", "Who is Quellport's mayor?")
        times["memory" if ans["model"] == "memory" else "generated"].append(took)
        ans, took = cli(memory, "ask", "What is the capital of France?")
        times["memory" if ans["model"] == "memory" else "generated"].append(took)
    row = {"kind": "cold-ask", "runs": args.latency, "load": round(os.getloadavg()[0], 2)}
    for name, ts in times.items():
        row[f"{name}_median_s"] = round(statistics.median(ts), 2) if ts else None
        row[f"{name}_min_s"] = round(min(ts), 2) if ts else None
    print(json.dumps(row))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", nargs="+", default=["dev", "test", "adv-dev", "adv-test", "learning"])
    parser.add_argument("--fit", action="store_true", help="refit the defaults on dev (needs dev in --splits)")
    parser.add_argument("--simulate", type=int, default=0, metavar="SEEDS",
                        help="simulated use: the bands learn from a user's ratings, per quarter of the questions")
    parser.add_argument("--precision", type=float, default=bands.PRIOR_PRECISION, help="--simulate: prior τ")
    parser.add_argument("--cli", action="store_true", help="end to end through the CLI, new processes")
    parser.add_argument("--split", default="test", help="--cli: the split to run")
    parser.add_argument("--limit", type=int, default=0, help="--cli: only the first N facts")
    parser.add_argument("--workers", type=int, default=1, help="--cli: parallel ask processes for the probes")
    parser.add_argument("--out", help="--cli: also write the JSON lines here")
    parser.add_argument("--latency", type=int, default=0, metavar="N",
                        help="only time N cold asks answered from memory and N generated")
    args = parser.parse_args(argv)
    if args.latency:
        return latency(args)
    return end_to_end(args) if args.cli else in_process(args)


if __name__ == "__main__":
    raise SystemExit(main())
