"""DocumentQA-v0 on unseen (test) and seen (train) questions: PPO like for like vs the memory policy vs the
fixed plan vs the answerer's ceiling, under both time-out rewards, with seeds and paired bootstrap CIs;
and the precision-vs-abstention curve (issue 22, "DocQA as seed 001 meant it").

Methods (``--methods``):

* ``ppo-q`` — PPO (:mod:`tui_agent.rl.ppo`, RLlib, ``--env-runners`` sampling processes) whose observation
  carries the question's MiniLM embedding (``question_features="embedding"``): what the memory policy
  retrieves its records by, so both see which question is asked. Trained ``--episodes`` episodes on the
  train questions; its greedy policy tested on the test questions every ``--episodes / 3`` episodes
  (the held-out learning curve) and at the end on both splits.
* ``ppo`` — the same without the question embedding (the similarity features only), for reference.
* ``memory`` — the episodic-control memory policy (:class:`tui_agent.docqa.agent.DocQAAgent`, constant
  scorer, a fresh LanceDB memory per seed) trained along the seeded training order for the same number
  of episodes, then tested with the memory frozen. It sees the question embedding too, and may also
  re-search with a remembered training wording (an action PPO does not have).
* ``fixed`` — read result 1, then answer (no learning; seed-independent).
* ``ceiling`` — the answerer's ceiling: the extractive answerer on the gold section's passage (the best
  chunk of the gold heading: an oracle that always reads the right passage).

Every policy answers with the extractive answerer. Rewards (``--rewards``): ``abstain`` (+1 / −1 /
−0.01 a step / 0 at the 8-step time-out) and ``failure`` (the time-out counts −1); each learner is
trained under the reward it is tested with.

Precision vs abstention: each learner's always-answer variant gives an answer to every question with a
confidence, and abstains below a threshold: PPO answers when its greedy policy does or at the last
step, confidence = softmax probability of ``answer`` at the answering step; the memory policy's
``--always-answer`` ablation, confidence = its Q̂ of the answer (0 when the memory has no entry).

Rows (per method, reward, seed, split: per-question success / return / answered / confidence) are
cached in ``<out>.json``; the report goes between the ``docqa-heldout`` markers of ``--doc`` and the
plot to ``<out>.png``. Usage::

    .venv/bin/python benchmarks/docqa_heldout.py [--methods ppo-q,memory,fixed,ceiling] [--episodes 500]
        [--seeds 0,1,2] [--rewards abstain,failure] [--questions 196] [--report-only]
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.stats import paired_bootstrap  # noqa: E402  (the paired bootstrap over items)

METHODS = ("ppo-q", "ppo", "memory", "fixed", "ceiling")
LEARNERS = ("ppo-q", "ppo", "memory")
REWARDS = ("abstain", "failure")
SPLITS = ("test", "train")
START, END = "<!-- docqa-heldout:start -->", "<!-- docqa-heldout:end -->"
_ADVICE_ANSWER = re.compile(r"Q̂ ([+-]\d+\.\d+) \(support (\d+\.\d+)[^)]*\)\s+answer\[")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def timeout_value(reward: str) -> float:
    from tui_agent.envs.docqa.env import TIMEOUT_REWARDS

    return TIMEOUT_REWARDS[reward]


# --- per-question runs -------------------------------------------------------------------------------------

def per_question(rows: list[dict[str, Any]]) -> dict[str, list]:
    return {"success": [bool(r["success"]) for r in rows], "return": [float(r["return"]) for r in rows],
            "answered": [bool(r["answered"]) for r in rows]}


def run_ppo(method: str, reward: str, seed: int, episodes: int, n: int, env_runners: int) -> dict[str, Any]:
    from tui_agent.rl.ppo import PPOSettings, evaluate, train

    env_config = {"timeout_reward": timeout_value(reward),
                  "question_features": "embedding" if method == "ppo-q" else "none"}
    t = time.perf_counter()
    report, policy = train(PPOSettings(episodes=episodes, seed=seed, env_config=env_config,
                                       num_env_runners=env_runners, test_every=max(1, episodes // 3),
                                       test_questions=n))
    out: dict[str, Any] = {"train_s": round(time.perf_counter() - t, 1), "train_episodes": report["episodes"],
                           "curve": [{"episodes": c["episodes_total"], "return_mean": c["return_mean"],
                                      "test_success": c["test"]["success_rate"], "test_return": c["test"]["return_mean"],
                                      "test_answered": c["test"]["answered"]} for c in report["curve"] if "test" in c]}
    for split in SPLITS:
        out[split] = per_question(evaluate(policy, split, n, env_config=env_config)["per_question"])
    out["abstention"] = ppo_forced(policy, env_config, n)
    return out


def ppo_forced(policy: Any, env_config: dict[str, Any], n: int) -> dict[str, list]:
    """PPO's always-answer variant on the test questions: the greedy action, but answer at the last step
    (reading result 1 the step before when nothing is read); confidence = p(answer) at the answering step."""
    from tui_agent.rl.ppo import make_env

    env = make_env({**env_config, "split": "test"})
    success, confidence = [], []
    for i in range(n):
        obs, info = env.reset(options={"split": "test", "question_index": i})
        done, conf = False, 0.0
        while not done:
            z = policy.logits(obs).astype(np.float64)
            p = np.exp(z - z.max())
            p /= p.sum()
            left = env.env.max_steps - int(info["step"])
            action = int(np.argmax(p))
            if left <= 2 and not info.get("passage"):
                action = 0
            elif left <= 1 or action == env.answer_action:
                action, conf = env.answer_action, float(p[env.answer_action])
            obs, _, terminated, truncated, info = env.step(action)
            done = terminated or truncated
        success.append(bool(info.get("success")))
        confidence.append(conf if info.get("answer") is not None else -1.0)
    return {"success": success, "confidence": confidence}


def memory_agent(memory: Path, seed: int, reward: str, always_answer: bool) -> Any:
    from tui_agent.agents.factory import RunOptions, agent_config, build_agent
    from tui_agent.config.settings import load_settings

    settings = load_settings(memory_dir=memory)
    options = RunOptions(scorer="constant", always_answer=always_answer, seed=seed, timeout_reward=timeout_value(reward))
    return build_agent("docqa", settings, agent_config("docqa", settings, options), llm=None)


def run_memory(reward: str, seed: int, episodes: int, n: int) -> dict[str, Any]:
    from tui_agent.docqa.protocol import training_order
    from tui_agent.envs.docqa.env import DocQAEnv

    env = DocQAEnv(split="train", timeout_reward=timeout_value(reward))
    order = training_order(len(env.questions("train")), episodes, seed)
    out: dict[str, Any] = {"train_episodes": episodes}
    t = time.perf_counter()
    for always in (False, True):
        with tempfile.TemporaryDirectory(prefix=f"docqa-heldout-{seed}-") as tmp:
            agent = memory_agent(Path(tmp) / "memory", seed, reward, always)
            for i in order:
                agent.run_episode(env, {"split": "train", "question_index": i}, "episodic-control", learn=True)
            if not always:
                out["train_s"] = round(time.perf_counter() - t, 1)
                for split in SPLITS:
                    results = [agent.run_episode(env, {"split": split, "question_index": i}, "episodic-control",
                                                 learn=False) for i in range(n)]
                    out[split] = {"success": [bool(r.correct) for r in results],
                                  "return": [round(float(r.ret), 4) for r in results],
                                  "answered": [r.answer is not None for r in results]}
            else:
                results = [agent.run_episode(env, {"split": "test", "question_index": i}, "episodic-control",
                                             learn=False) for i in range(n)]
                out["abstention"] = {"success": [bool(r.correct) for r in results],
                                     "confidence": [answer_confidence(r) for r in results]}
    return out


def answer_confidence(result: Any) -> float:
    """The memory's Q̂ of the answer it gave (0 with no support; −1 when it did not answer)."""
    if result.answer is None or not result.steps:
        return -1.0
    last = result.steps[-1]
    if last.q_estimate is not None and last.chosen_by == "memory":
        return float(last.q_estimate)
    m = _ADVICE_ANSWER.search(last.advice or "")
    return float(m.group(1)) if m and float(m.group(2)) > 0 else 0.0


def run_fixed(reward: str, n: int) -> dict[str, Any]:
    from tui_agent.rl.ppo import evaluate

    def plan(obs: np.ndarray) -> int:  # read result 1 (action 0), then answer (action K = 5)
        return 0 if obs[25] == 0 else 5  # feature 5K+0: a passage has been read

    env_config = {"timeout_reward": timeout_value(reward)}
    return {split: per_question(evaluate(plan, split, n, env_config=env_config)["per_question"]) for split in SPLITS}


def run_ceiling(n: int) -> dict[str, Any]:
    from tui_agent.envs.docqa import builtin_corpus, extractive_answer, is_correct, load_questions

    corpus = builtin_corpus()
    sections: dict[tuple[str, str], list[str]] = {}
    for p in corpus.passages:
        sections.setdefault((p.source, p.heading), []).append(p.text)
    out: dict[str, Any] = {}
    for split in SPLITS:
        ok = [any(is_correct(extractive_answer(q["question"], text), q["answer"])
                  for text in sections.get((q["source"], q["heading"]), []))
              for q in load_questions(split)[:n]]
        out[split] = {"success": ok, "return": [1.0 if s else -1.0 for s in ok], "answered": [True] * len(ok)}
    return out


# --- report ------------------------------------------------------------------------------------------------

def _mean_over_seeds(runs: list[dict[str, Any]], split: str, field: str) -> np.ndarray:
    return np.array([r[split][field] for r in runs], dtype=float).mean(axis=0)


def _cell(values: list[float]) -> str:
    return f"{np.mean(values):.3f}" + (f" ± {np.std(values, ddof=1):.3f}" if len(values) > 1 else "")


def report(rows: list[dict[str, Any]], out: Path, doc: Path, boots: int) -> None:
    by: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        by.setdefault((r["method"], r["reward"]), []).append(r)
    present = [m for m in METHODS if any(k[0] == m for k in by)]
    episodes = sorted({r.get("train_episodes", 0) for r in rows if r["method"] in LEARNERS})
    n = max((len(r["test"]["success"]) for r in rows), default=0)
    lines = [START, "", "## Unseen (test) and seen (train) questions: like for like, both rewards (issue 22)", "",
             f"{n} test questions (unseen wordings: each fact's second phrasing) and {n} train questions (the "
             f"wordings trained on); learners trained {', '.join(map(str, episodes))} episodes on the train "
             "questions, seeds as listed (mean ± sd over seeds). Every policy answers with the extractive "
             "answerer. *abstain*: the time-out adds 0 (never answering scores −0.08); *failure*: the time-out "
             "counts −1. **Like for like**: `ppo-q`'s observation carries the question's MiniLM embedding — the "
             "question identity the memory policy retrieves its records by — beside the similarity features both "
             "see through the page; the memory policy can in addition re-search with a remembered training "
             "wording (an action PPO lacks). `ppo` (no question features) is the earlier, not like-for-like "
             "observation.", "",
             "| method | reward | seeds | unseen: success | unseen: return | unseen: answered | seen: success "
             "| seen: return | train s |", "|---|---|---|---|---|---|---|---|---|"]
    for method in present:
        for reward in REWARDS:
            g = by.get((method, reward), [])
            if not g:
                continue
            seeds = ",".join(str(r["seed"]) for r in g) if method in LEARNERS else "—"
            cells = [_cell([float(np.mean(r[s][f])) for r in g]) for s, f in
                     (("test", "success"), ("test", "return"), ("test", "answered"), ("train", "success"),
                      ("train", "return"))]
            train_s = f"{np.mean([r.get('train_s', 0) for r in g]):.0f}" if method in LEARNERS else "—"
            lines.append(f"| {method} | {reward} | {seeds} | " + " | ".join(cells) + f" | {train_s} |")
    lines += ["", "Paired differences in success rate per question (each question's success averaged over the "
              f"seeds), mean and 95 % bootstrap CI ({boots} resamples of the questions):", "",
              "| comparison | reward | unseen: Δ success [95 % CI] | seen: Δ success [95 % CI] |", "|---|---|---|---|"]
    pairs = [("ppo-q", "memory"), ("ppo-q", "fixed"), ("memory", "fixed"), ("ppo-q", "ppo"), ("ceiling", "memory"),
             ("ceiling", "ppo-q")]
    for a, b in pairs:
        for reward in REWARDS:
            ga, gb = by.get((a, reward)) or by.get((a, "abstain")), by.get((b, reward)) or by.get((b, "abstain"))
            if not ga or not gb or a not in present or b not in present:
                continue
            cells = []
            for split in SPLITS:
                d = _mean_over_seeds(ga, split, "success") - _mean_over_seeds(gb, split, "success")
                ci = paired_bootstrap(d, resamples=boots)
                lo, hi = ci.low, ci.high
                cells.append(f"{d.mean():+.3f} [{lo:+.3f}, {hi:+.3f}]")
            lines.append(f"| {a} − {b} | {reward} | " + " | ".join(cells) + " |")
    lines += curve_lines(by) + abstention_lines(by, out)
    commands = sorted({r["command"] for r in rows if r.get("command")})
    lines += ["", "Commands (`.venv/bin/python …`; rows cached in `" + out.with_suffix(".json").name + "`, the "
              "report rebuilt with `--report-only`):", ""] + [f"* `{c}`" for c in commands]
    machine = sorted({r.get("machine", "") for r in rows} - {""})
    lines += ["", f"Machine: {', '.join(machine)}, shared with other jobs (wall times only comparable within a run). "
              "Code: " + ", ".join(sorted({r.get("commit", "?") for r in rows})) + ".", "", END]
    section = "\n".join(lines)
    text = doc.read_text(encoding="utf-8") if doc.exists() else ""
    if START in text and END in text:
        text = text[:text.index(START)] + section + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    doc.write_text(text, encoding="utf-8")


def curve_lines(by: dict[tuple[str, str], list[dict[str, Any]]]) -> list[str]:
    lines = ["", "PPO's learning curve on the unseen (test) questions: greedy success rate / mean return after N "
             "training episodes (mean over seeds; training episodes of the iteration that passed N):", ""]
    for (method, reward), g in sorted(by.items()):
        if method not in ("ppo-q", "ppo") or not g[0].get("curve"):
            continue
        points = min(len(r["curve"]) for r in g)
        cells = []
        for i in range(points):
            eps = int(np.mean([r["curve"][i]["episodes"] for r in g]))
            cells.append(f"{eps}: {np.mean([r['curve'][i]['test_success'] for r in g]):.3f} / "
                         f"{np.mean([r['curve'][i]['test_return'] for r in g]):+.3f}")
        lines.append(f"* {method}, {reward}: " + "; ".join(cells))
    return lines


def precision_at(success: np.ndarray, confidence: np.ndarray, threshold: float) -> tuple[float, float]:
    """(coverage, precision) when answering only where confidence ≥ threshold."""
    answered = confidence >= threshold
    cov = float(answered.mean())
    return cov, float(success[answered].mean()) if answered.any() else float("nan")


def abstention_lines(by: dict[tuple[str, str], list[dict[str, Any]]], out: Path) -> list[str]:
    curves: dict[str, list[tuple[float, float]]] = {}
    lines = ["", "Precision vs abstention on the unseen questions: each learner's always-answer variant answers only "
             "where its confidence ≥ a threshold (PPO: p(answer) at the answering step, answering at the last "
             "step if it had not; memory: Q̂ of its answer, 0 without support). Coverage = share answered, "
             "precision = share of answers correct; pooled over the seeds. The fixed plan and the ceiling always "
             "answer (coverage 1).", "", "| method | reward | threshold → coverage / precision |", "|---|---|---|"]
    for (method, reward), g in sorted(by.items()):
        if not g[0].get("abstention"):
            continue
        s = np.concatenate([np.asarray(r["abstention"]["success"], float) for r in g])
        c = np.concatenate([np.asarray(r["abstention"]["confidence"], float) for r in g])
        thresholds = sorted(set(np.round(np.quantile(c, np.linspace(0, 0.95, 8)), 3)) | {0.0})
        points, seen = [], set()
        for t in thresholds:
            cov, prec = precision_at(s, c, t)
            if cov > 0 and cov not in seen:
                seen.add(cov)
                points.append((t, cov, prec))
        curves[f"{method} ({reward})"] = [(cov, prec) for t, cov, prec in
                                          [(t, *precision_at(s, c, t)) for t in sorted(set(np.round(c, 3)))]]
        lines.append(f"| {method} | {reward} | " + "; ".join(f"≥ {t:+.3f} → {cov:.2f} / {prec:.3f}"
                                                             for t, cov, prec in points) + " |")
    for method in ("fixed", "ceiling"):
        g = by.get((method, "abstain"))
        if g:
            lines.append(f"| {method} | either | 1.00 / {np.mean(g[0]['test']['success']):.3f} |")
            curves[method] = [(1.0, float(np.mean(g[0]["test"]["success"])))]
    lines += ["", f"![precision vs abstention]({out.with_suffix('.png').name})"]
    plot(curves, out.with_suffix(".png"))
    return lines


def plot(curves: dict[str, list[tuple[float, float]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for label, pts in curves.items():
        pts = sorted(pts)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o" if len(pts) < 3 else ".", label=label)
    ax.set_xlabel("coverage (share of test questions answered)")
    ax.set_ylabel("precision (answers correct)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title("DocumentQA-v0, unseen questions: precision vs abstention")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


# --- main --------------------------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--methods", default="ppo-q,memory,fixed,ceiling")
    ap.add_argument("--rewards", default=",".join(REWARDS))
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--episodes", type=int, default=500, help="training episodes per learner run")
    ap.add_argument("--questions", type=int, default=196, help="first N questions of each split")
    ap.add_argument("--env-runners", type=int, default=1, help="PPO: RLlib env runner processes")
    ap.add_argument("--boots", type=int, default=10_000)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "docqa_heldout")
    ap.add_argument("--doc", type=Path, default=ROOT / "docs" / "docqa_sample_efficiency.md")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--include", default="", help="comma-separated row files of other runs (e.g. one reward run in "
                    "parallel with its own --out) to merge into <out>.json")
    args = ap.parse_args()
    methods = [m for m in args.methods.split(",") if m]
    rewards = [r for r in args.rewards.split(",") if r]
    if bad := (set(methods) - set(METHODS)) | (set(rewards) - set(REWARDS)):
        ap.error(f"unknown {sorted(bad)}; methods: {', '.join(METHODS)}; rewards: {', '.join(REWARDS)}")
    data = args.out.with_suffix(".json")
    rows: list[dict[str, Any]] = json.loads(data.read_text())["rows"] if data.exists() else []
    for extra in (Path(p) for p in args.include.split(",") if p):
        known = {(r["method"], r["reward"], r["seed"]) for r in rows}
        rows += [r for r in json.loads(extra.read_text())["rows"] if (r["method"], r["reward"], r["seed"]) not in known]
    if not args.report_only:
        import os
        import platform
        import subprocess

        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip() or "?"
        command = shlex.join(["benchmarks/docqa_heldout.py", *sys.argv[1:]])
        done = {(r["method"], r["reward"], r["seed"], r.get("train_episodes", 0), len(r["test"]["success"]))
                for r in rows}

        def emit(method: str, reward: str, seed: int, make: Callable[[], dict[str, Any]]) -> None:
            episodes = args.episodes if method in LEARNERS else 0
            if (method, reward, seed, episodes, args.questions) in done:
                return
            t = time.perf_counter()
            row = {"method": method, "reward": reward, "seed": seed, **make(), "command": command, "commit": commit,
                   "machine": f"{platform.machine()}, {os.cpu_count()} CPUs", "train_episodes": episodes}
            rows.append(row)
            data.parent.mkdir(parents=True, exist_ok=True)
            data.write_text(json.dumps({"rows": rows}), encoding="utf-8")
            log(f"{method} {reward} seed {seed}: unseen success {np.mean(row['test']['success']):.3f}, seen "
                f"{np.mean(row['train']['success']):.3f} ({time.perf_counter() - t:.0f} s)")

        if {"ppo", "ppo-q"} & set(methods):
            from tui_agent.rl.ppo import init_ray

            for attempt in range(3):  # one Ray instance for every PPO run; a busy machine can time out its start
                try:
                    init_ray()
                    break
                except Exception as exc:  # Ray raises a bare Exception on a start-up time-out
                    log(f"Ray did not start ({exc}); attempt {attempt + 1} of 3")
                    import ray

                    ray.shutdown()
                    if attempt == 2:
                        raise
        if "ceiling" in methods:
            emit("ceiling", "abstain", 0, partial(run_ceiling, args.questions))
        for reward in rewards:
            if "fixed" in methods:
                emit("fixed", reward, 0, partial(run_fixed, reward, args.questions))
            for seed in (int(s) for s in args.seeds.split(",")):
                if "memory" in methods:
                    emit("memory", reward, seed, partial(run_memory, reward, seed, args.episodes, args.questions))
                for m in ("ppo-q", "ppo"):
                    if m in methods:
                        emit(m, reward, seed, partial(run_ppo, m, reward, seed, args.episodes, args.questions,
                                                      args.env_runners))
    report(rows, args.out, args.doc, args.boots)
    log(f"wrote {args.doc} ({len(rows)} rows) and {args.out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
