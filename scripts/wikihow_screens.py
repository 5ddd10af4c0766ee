"""Draw ``docs/wikihow_screens.png``: WikiHow-v0's screens beside REMEMBERER's pool screens of the same kind.

Usage: ``python scripts/wikihow_screens.py [POOLS_DIR] [OUT.png]`` (defaults: ``../shared/reference/
rememberer-pools`` and ``docs/wikihow_screens.png``). Two rows — search results and an article top —
the pool's screen left, the simulation's right (lines cut at 64 characters, the first 22 lines).
"""

from __future__ import annotations

import sys
from pathlib import Path

from tui_agent.envs.wikihow.env import WikiHowEnv
from tui_agent.envs.wikihow.screen import parse_screen, screen_kind
from tui_agent.memory.rememberer import read_history_pool

ROOT = Path(__file__).resolve().parents[1]
WIDTH, LINES = 70, 20


def pool_screen(pools: Path, kind: str, contains: str) -> str:
    for path in sorted(pools.glob("*.q.yaml")):
        raw = read_history_pool(path)[0]
        for screen in raw.columns["observation"]:
            if screen_kind(parse_screen(screen)) == kind and contains in screen:
                return str(screen)
    raise SystemExit(f"no {kind} screen with {contains!r} in {pools}")


def sim_screens() -> dict[str, str]:
    env = WikiHowEnv(split="test")
    env.reset(options={"task_index": 20})
    out = {"results": env.step("INPUT(2, apply cc cream)")[0]}
    out["article"] = env.step("CLICK(3)")[0]
    return out


def cut(screen: str) -> str:
    lines = [line if len(line) <= WIDTH else line[: WIDTH - 1] + "…" for line in screen.splitlines()]
    return "\n".join(lines[:LINES] + (["…"] if len(lines) > LINES else []))


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pools = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "reference" / "rememberer-pools"
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "docs" / "wikihow_screens.png"
    sim = sim_screens()
    rows = [("results", pool_screen(pools, "results", "Apply CC Cream"), sim["results"]),
            ("article top", pool_screen(pools, "article", "How to Apply CC Cream"), sim["article"])]
    fig, axes = plt.subplots(2, 2, figsize=(17, 9))
    for r, (kind, pool, mine) in enumerate(rows):
        for c, (title, text) in enumerate(((f"REMEMBERER pool: {kind}", pool), (f"WikiHow-v0: {kind}", mine))):
            ax = axes[r][c]
            ax.axis("off")
            ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
            ax.text(0, 1, cut(text), va="top", ha="left", family="monospace", fontsize=9, transform=ax.transAxes)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(out)


if __name__ == "__main__":
    main()
