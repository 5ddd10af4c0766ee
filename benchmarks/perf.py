"""The performance suite (issue 11): one command, one JSON line per figure, each with its reference
measured in the same run, interleaved.

Usage::

    .venv/bin/python benchmarks/perf.py            # everything (30–60 min on 2 busy cores; embeds
                                                   # 100k questions once, cached in ~/.cache/tui-agent-bench)
    .venv/bin/python benchmarks/perf.py --quick    # a subset in under 5 minutes
    .venv/bin/python benchmarks/perf.py --only rating,shop

Lines: ``{"name", "value", "unit", "reference", "reference_value", "ratio", "goal", "load", ...}``
on stdout (progress on stderr). ``ratio`` = value / reference (for times, lower is better).
Budgets live here, never in unit tests.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from perf_common import log

GROUPS = ("ask", "paint", "rating", "retrieval", "chat", "shop", "tokens")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a subset in under 5 minutes")
    parser.add_argument("--only", default="", help=f"comma-separated groups of {', '.join(GROUPS)}")
    parser.add_argument("--ratings", type=int, default=None, help="ratings for the 'after N ratings' figure")
    parser.add_argument("--sizes", default=None, help="retrieval sizes, e.g. 10000,100000,1000000")
    args = parser.parse_args()
    groups = [g for g in (args.only.split(",") if args.only else GROUPS) if g]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    quick = args.quick
    start = time.perf_counter()
    for group in groups:
        log(f"--- {group}")
        try:
            run_group(group, quick, args)
        except Exception as exc:  # noqa: BLE001 - one failed group does not stop the others
            import traceback

            traceback.print_exc()
            log(f"{group} failed: {exc}")
    log(f"done in {time.perf_counter() - start:.0f} s")
    return 0


def run_group(group: str, quick: bool, args) -> None:
    """Run one group of benchmarks (prints its JSON lines)."""
    if group == "ask":
        from perf_startup import cold_ask

        cold_ask(3 if quick else 5)
    elif group == "paint":
        from perf_startup import first_paint

        first_paint(3 if quick else 7)
    elif group == "rating":
        from perf_memory import rating

        if quick:
            rating(10_000, args.ratings or 1_000, sample=100)
        else:
            rating(100_000, args.ratings or 10_000)
    elif group == "retrieval":
        from perf_retrieval import retrieval

        sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else \
            ([10_000] if quick else [10_000, 100_000, 1_000_000])
        retrieval(sizes, 100 if quick else 200, random_worst=not quick)
    elif group == "chat":
        from perf_chat import chat_retrieve

        chat_retrieve(10_000, 50 if quick else 100)
    elif group == "shop":
        from perf_shop import shop_step

        shop_step(10_000, 30 if quick else 60)
    elif group == "tokens":
        from perf_llm import tokens_per_second

        tokens_per_second(2 if quick else 3)
    else:
        raise ValueError(f"unknown group {group!r}")


if __name__ == "__main__":
    sys.exit(main())
