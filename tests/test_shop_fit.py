"""The shop's fit features (tui_agent/shop/fit.py) and the episodic-control fit kernel (no model, no timing)."""

from __future__ import annotations

import math

import pytest

from tui_agent.rlem.records import ActionKey, ActionValue, Record, RecordKey, Scored
from tui_agent.shop.fit import action_fit, fit_cell, fit_kernel, keywords, price_limit
from tui_agent.shop.policy import PolicyConfig, estimate_q, fit_role

INSTRUCTION = ("i'm looking for a matte lipstick that is cruelty free and salon quality, in nude color, "
               "and price lower than 20.00 dollars")
RESULTS = """Instruction:
{ins}
[Back to Search]
Page 1 (Total results: 50)
[Next >]
[B07TNGNKQM]
Tidewater Matte Lipstick - Cruelty Free for Daily Life
$20.69 to $32.29
[[B00AZG5GZ3]]
Velora Matte Lipstick - Cruelty Free Salon Quality Nude
$9.41
"""
RESULT_ACTIONS = ["click[Back to Search]", "click[Next >]", "click[B07TNGNKQM]", "click[B00AZG5GZ3]"]
ITEM = """Instruction:
{ins}
[Back to Search]
[< Prev]
color [ruby red][[mauve]][plum]
Velora Matte Lipstick - Cruelty Free for Home
Price: $29.41 to $48.24
Rating: 3.8
[Description]
[Features]
[Reviews]
[Buy Now]
"""
ITEM_ACTIONS = ["click[Back to Search]", "click[< Prev]", "click[Description]", "click[Features]",
                "click[Reviews]", "click[Buy Now]", "click[ruby red]", "click[mauve]", "click[plum]"]


def test_keywords_and_price_limit():
    assert keywords(INSTRUCTION) == frozenset(
        {"matte", "lipstick", "cruelty", "free", "salon", "quality", "nude"})
    assert price_limit(INSTRUCTION) == 20.0
    assert price_limit("i need a lamp") is None


def test_action_fit_on_results_and_item_pages():
    obs = RESULTS.format(ins=INSTRUCTION)
    assert action_fit(INSTRUCTION, obs, RESULT_ACTIONS, "click[B00AZG5GZ3]") == (1.0, 1.0)
    coverage, price = action_fit(INSTRUCTION, obs, RESULT_ACTIONS, "click[B07TNGNKQM]")
    assert math.isclose(coverage, 4 / 7) and price == 0.0
    assert action_fit(INSTRUCTION, obs, RESULT_ACTIONS, "click[Next >]") == (1.0, 1.0)  # the best shown
    item = action_fit(INSTRUCTION, ITEM.format(ins=INSTRUCTION), ITEM_ACTIONS, "click[Buy Now]")
    assert math.isclose(item[0], 4 / 7) and item[1] == 0.0  # no "nude", "salon", "quality"; over the limit
    assert action_fit(INSTRUCTION, "WebShop\n[Search]", ["search[<keywords>]"], "search[x]") is None


def test_fit_kernel():
    assert fit_kernel(None, (1.0, 1.0), 0.2) == 1.0
    assert fit_kernel((0.5, 1.0), (1.0, 1.0), 0.0) == 1.0
    assert math.isclose(fit_kernel((0.5, 1.0), (1.0, 0.5), 0.2), math.exp(-5.0))


def _record(instruction: str, q: float) -> Scored:
    key = RecordKey.of(instruction, ITEM.format(ins=instruction), ITEM_ACTIONS)
    return Scored(Record(key, actions={ActionKey("click[Buy Now]", ""): ActionValue(q, 1, q)}), 1.0, 1.0, 1.0)


def test_fit_kernel_weights_purchases_by_fit():
    """A purchase on a page that fitted its instruction as badly as this one decides Q̂(buy now)."""
    bad = _record(INSTRUCTION, 0.25)  # coverage 4/7, over the price limit: the same fit as the query page
    good = _record("i want a velora matte lipstick, cruelty free, in mauve color", 1.0)  # covered, no limit
    obs = ITEM.format(ins=INSTRUCTION)
    plain = estimate_q(["click[Buy Now]"], ITEM_ACTIONS, INSTRUCTION, obs, [bad, good], PolicyConfig(), training=True)
    fitted = estimate_q(["click[Buy Now]"], ITEM_ACTIONS, INSTRUCTION, obs, [bad, good],
                        PolicyConfig(fit_scale=0.2), training=True)
    assert math.isclose(plain[0].q, 0.625) and plain[0].support == 2.0
    assert fitted[0].q < 0.3 and fitted[0].support == 2.0


def test_fit_cell_grid():
    assert fit_cell((4 / 7, 0.0), 3) == "fit 1/3, price 0"
    assert fit_cell((1.0, 1.0), 3) == "fit 2/3, price 1"  # the last bin is closed
    assert fit_cell((0.0, 0.5), 4) == "fit 0/4, price 0.5"
    assert fit_cell(None, 3) == "" and fit_cell((1.0, 1.0), 0) == ""


def test_fit_role_drops_the_result_position_and_keeps_pages_without_target():
    obs = RESULTS.format(ins=INSTRUCTION)
    assert fit_role("result #2", INSTRUCTION, obs, RESULT_ACTIONS, "click[B00AZG5GZ3]", 3) == \
        "result | fit 2/3, price 1"
    assert fit_role("result #2", INSTRUCTION, obs, RESULT_ACTIONS, "click[B00AZG5GZ3]", 0) == "result #2"
    assert fit_role("search", INSTRUCTION, "WebShop\n[Search]", ["search[<keywords>]"], "search[x]", 3) == "search"


def test_fit_cells_refine_the_role_mean():
    """Q̂ of a cell = its records' mean shrunk towards the role's mean with weight ``cell_prior``."""
    bad = _record(INSTRUCTION, 0.25)  # the query page's own cell (coverage 4/7, over the limit)
    good = _record("i want a velora matte lipstick, cruelty free, in mauve color", 1.0)  # another cell
    obs = ITEM.format(ins=INSTRUCTION)
    cfg = PolicyConfig(fit_bins=3, cell_prior=1.0, explore_cells=False)
    est = estimate_q(["click[Buy Now]"], ITEM_ACTIONS, INSTRUCTION, obs, [bad, good], cfg, training=True)
    assert est[0].role == "buy now | fit 1/3, price 0" and est[0].support == 2.0
    assert math.isclose(est[0].q, (0.25 + 0.625) / 2)  # (Σ cell + 1 · role mean) / (1 + 1)
    only_good = estimate_q(["click[Buy Now]"], ITEM_ACTIONS, INSTRUCTION, obs, [good], cfg, training=True)
    assert math.isclose(only_good[0].q, 1.0)  # no record in the cell: the role's mean (the reference path)
    explore = estimate_q(["click[Buy Now]"], ITEM_ACTIONS, INSTRUCTION, obs, [good],
                         PolicyConfig(fit_bins=3, optimistic_q=0.9), optimistic=True, training=True)
    assert explore[0].optimistic and explore[0].q == 0.9  # an untried cell is explored when training


def test_the_cli_learner_preset_is_the_benchmarked_one():
    """`train|eval --learner fit-cells` runs exactly the learner docs/shop_transfer.md measured (cells-succ-q)."""
    import importlib.util
    from pathlib import Path

    from tui_agent.agents.factory import RunOptions, agent_config
    from tui_agent.config.settings import load_settings
    from tui_agent.shop.policy import LEARNERS, PolicyConfig

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "shop_transfer.py"
    spec = importlib.util.spec_from_file_location("shop_transfer_bench", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.VARIANTS["cells-succ-q"] == LEARNERS["fit-cells"] and LEARNERS["reference"] == {}
    config = agent_config("shop", load_settings(), RunOptions(learner="fit-cells"))
    assert config.policy == PolicyConfig(**LEARNERS["fit-cells"])
    assert agent_config("shop", load_settings(), RunOptions()).policy == PolicyConfig()
    with pytest.raises(ValueError, match="unknown learner 'bogus'"):
        agent_config("shop", load_settings(), RunOptions(learner="bogus"))
