"""The paper's policy on our shop with one of REMEMBERER's own WebShop pools as its only memory.

A fresh memory gets ``init_pool*.wq.yaml`` (imported as ``tui-agent memory import`` does); then the
``rememberer`` policy runs test goals 0..N-1 with the memory frozen, with either

* ``--model local/smollm2`` (the bundled model writes the advice), or
* ``--follower``: a stand-in for a capable hosted model, through LiteLLM's ``mock_response``: it
  reads the advice of the most similar exemplar in the prompt and follows it by analogy, by the
  advised action's role — search → ``search[<the instruction>]``; a product link → the first
  product shown; an option → an option value named in the instruction and not chosen yet, or,
  when none is left, Buy Now (the exemplar's episode clicks the options its instruction names,
  then buys — as its reason says); a button (Buy Now, < Prev, …) → the same button — and writes
  ``Encouraged: <action> -> 1.0``. With no exemplar advice, or advice whose role this page does
  not offer, it writes nothing usable (the step is "NOTHINGG", as the reference's unreadable
  answers). No look at the goal, no look-ahead: it measures whether the pool's advice, as our
  pages and prompt present it, is enough to act on (``--ablate-advice`` blanks the advice).

Writes ``docs/shop_results/<row>.json`` (the format of ``tui-agent eval --output``) for
``benchmarks/shop_eval.py``'s table. Usage::

    python benchmarks/shop_pool_eval.py [--pool init_pool.wq.yaml] [--tasks 20] [--follower | --model M]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tui_agent.llm.client import LLM  # noqa: E402

POOLS = Path(os.environ.get("TUI_AGENT_REFERENCE_DIR") or ROOT / "tests" / "data" / "reference") / "rememberer-pools"
RESULTS = ROOT / "docs" / "shop_results"
BUTTONS = ("back to search", "< prev", "next >", "description", "features", "reviews", "buy now")


class AdviceFollower(LLM):
    """Follows the most similar exemplar's encouraged action by analogy (see the module docstring)."""

    def __init__(self, ablate_advice: bool = False) -> None:
        super().__init__("openai/advice-follower", fallback_to_local=False)
        self.ablate_advice = ablate_advice

    async def complete(self, messages, **params):
        examples, new_input = messages[-1]["content"].split("Now the new input:", 1)
        available = re.findall(r"^- (.+)$", new_input.split("Available Actions:", 1)[1], re.M)
        instruction = re.search(r"Instruction:\n\s*(.+)", new_input).group(1).strip()
        done = {c.lower() for c in re.findall(r"\[\[(.+?)\]\]", new_input)}  # options chosen on this page
        advised = [] if self.ablate_advice else re.findall(r"Encouraged:\n(\S+?\[.*?\]) -> ", examples)
        action = self.analogy(advised[-1], available, instruction, done) if advised else None
        text = f"Encouraged:\n{action} -> 1.0 Following the example.\n" if action else "I am not sure."
        return await super().complete(messages, mock_response=text, **params)

    @staticmethod
    def analogy(advised: str, available: list[str], instruction: str, done: set[str]) -> str | None:
        """The action playing the advised action's role on this page, or None."""
        element = advised[advised.find("[") + 1:-1].lower() if "[" in advised else ""
        if advised.lower().startswith("search["):
            return f"search[{instruction}]" if available == ["search"] else None
        if element in BUTTONS:
            return f"click[{element}]" if element in available else None
        products = [a for a in available if re.fullmatch(r"b0[0-9a-z]{8}", a)]
        if re.fullmatch(r"b0[0-9a-z]{8}", element):
            return f"click[{products[0]}]" if products else None
        options = [a for a in available if a not in BUTTONS and a not in products]
        wanted = [o for o in options if o in instruction.lower() and o not in done]
        if wanted:
            return f"click[{wanted[0]}]"
        return "click[buy now]" if "buy now" in available else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pool", default="init_pool.wq.yaml")
    ap.add_argument("--tasks", type=int, default=20)
    ap.add_argument("--model", default="local/smollm2")
    ap.add_argument("--follower", action="store_true")
    ap.add_argument("--ablate-advice", action="store_true", help="the follower sees no advice")
    ap.add_argument("--row", help="result name (default from the pool and the model)")
    args = ap.parse_args()

    from tui_agent.config.settings import load_settings
    from tui_agent.embedding.encoder import shared_embedder
    from tui_agent.envs.shop.env import ShopEnv
    from tui_agent.memory.store import ExperienceStore
    from tui_agent.memory.transfer import import_memory
    from tui_agent.shop.agent import ShopAgent, config_from_settings
    from tui_agent.shop.protocol import evaluate

    memory = Path(tempfile.mkdtemp(prefix="shop-pool-"))
    store = ExperienceStore(memory)
    embedder = shared_embedder()
    embedder.load()
    report = import_memory(store, POOLS / args.pool, embed=embedder.encode)
    llm = AdviceFollower(args.ablate_advice) if args.follower else LLM(args.model)
    settings = load_settings()
    agent = ShopAgent(store, embedder, llm, config_from_settings(settings, seed=0))
    started = time.time()

    def progress(result, done, total):
        print(f"[{done}/{total}] reward {result.reward:.2f} ({len(result.steps)} steps)", flush=True)

    out = evaluate(agent, ShopEnv(split="test"), args.tasks, "rememberer", on_episode=progress)
    who = ("follower-noadvice" if args.ablate_advice else "follower") if args.follower else args.model.replace("/", "-")
    row = args.row or f"rememberer-{Path(args.pool).name.split('.')[0].replace('_', '')}-{who}"
    out["command"] = " ".join(["python benchmarks/shop_pool_eval.py", *sys.argv[1:]])
    out["pool"] = {"file": args.pool, "rows": report.inserted}
    out["seconds"] = time.time() - started
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{row}.json").write_text(json.dumps(out, ensure_ascii=False, indent=1))
    print(f"{row}: score {out['score']:.3f}, success {out['success_rate']:.2f} on {args.tasks} test goals "
          f"({out['seconds'] / 60:.1f} min)")


if __name__ == "__main__":
    main()
