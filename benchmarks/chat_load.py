"""Where a cold start's time goes: opening the memory, the two models, the answer (issue 11).

Usage::

    .venv/bin/python benchmarks/chat_load.py            # 3 fresh processes per variant, interleaved
    .venv/bin/python benchmarks/chat_load.py --runs 1   # one of each (plus the warm-up)

Each run is a fresh interpreter on one memory directory: ``parts`` times opening the memory (LanceDB
import + open), loading the embedder and loading the LLM one after another; ``load`` times
``ChatAgent.load`` (the memory opens on a second thread while the models load). Prints one JSON line per
variant (p50 seconds; reference = the sequential parts' sum), then the parts' p50s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from perf_common import emit, p50

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from tui_agent.chat.agent import ChatAgent
from tui_agent.config.settings import load_settings
agent = ChatAgent(load_settings(memory_dir=sys.argv[1]))
t1 = time.perf_counter()
out = {"imports": t1 - t0}
if sys.argv[2] == "parts":
    _ = agent.store; t2 = time.perf_counter()
    agent.embedder.load(); t3 = time.perf_counter()
    agent.llm.load(); t4 = time.perf_counter()
    out.update(memory=t2 - t1, embedder=t3 - t2, llm=t4 - t3, total=t4 - t1)
else:
    agent.load(); out["total"] = time.perf_counter() - t1
print(json.dumps(out))
"""


def run(memory: str, variant: str) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, memory, variant], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per variant (after one warm-up)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    memory = tempfile.mkdtemp(prefix="perf-load-")
    run(memory, "parts")  # creates the memory and warms the file cache
    parts, loads = [], []
    for _ in range(args.runs):
        parts.append(run(memory, "parts"))
        loads.append(run(memory, "load"))
    emit("chat_load", p50([r["total"] for r in loads]), "s", "memory + embedder + LLM one after another",
         p50([r["total"] for r in parts]), runs=len(loads))
    print(json.dumps({k: round(p50([r[k] for r in parts]), 3) for k in ("imports", "memory", "embedder", "llm")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
