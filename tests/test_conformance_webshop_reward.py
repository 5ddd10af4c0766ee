"""Conformance: the shop's reward against WebShop's own ``get_reward``.

``webshop_reward.json`` holds 800 (goal, product, price, chosen options) cases
over this project's catalog with the reward computed by WebShop's unmodified
``web_agent_site/engine/goal.py`` (spaCy's noun tagging replaced by the noun
lists carried in each case; see the reference dir's README). Every reward and
every part (``r_type``, ``r_att``, ``r_option``, ``r_price``) must match to
1e-9. The cases carry their noun lists; the test also checks that they are the
nouns our catalog gives (``type_nouns``), so the same figure holds in the env.
"""

from __future__ import annotations

import pytest

from reference import load_reference
from tui_agent.envs.shop.catalog import load_catalog
from tui_agent.envs.shop.reward import get_reward, type_nouns

CASES = load_reference("webshop_reward.json")["cases"]


def as_catalog(case: dict) -> tuple[dict, dict]:
    """The case's product and goal in the catalog's format, with the case's own noun lists."""
    g, p = case["goal"], case["product"]
    product = {k: p[k] for k in ("title", "query", "category_path", "attributes", "features", "description")}
    product["title_nouns"] = p["title_nouns"]
    goal = {"attributes": g["attributes"], "options": g["options"], "price_upper": g["price_upper"],
            "query": g["query"], "product_category": g["product_category"], "name_nouns": g["name_nouns"]}
    return product, goal


def test_all_800_rewards_match_webshop():
    assert len(CASES) == 800
    wrong = []
    for i, case in enumerate(CASES):
        product, goal = as_catalog(case)
        reward, parts = get_reward(product, goal, case["price"], case["chosen_options"], verbose=True)
        exp = case["expected"]
        got = {"reward": reward, "r_type": parts["r_type"], "r_att": parts["r_att"],
               "r_option": parts["r_option"], "r_price": parts["r_price"]}
        if any(got[k] != pytest.approx(exp[k], abs=1e-9) if exp[k] is not None else got[k] is not None
               for k in exp):
            wrong.append((i, case["kind"], got, exp))
    assert not wrong, f"{len(wrong)}/800 differ from WebShop, first: {wrong[:3]}"


def test_case_nouns_are_the_catalogs_type_nouns():
    """So the env (which derives nouns from ``product_type``) scores as WebShop did here."""
    catalog = load_catalog()
    for case in CASES:
        product = catalog.product(case["product"]["asin"])
        assert sorted(case["product"]["title_nouns"]) == type_nouns(product["product_type"])


@pytest.mark.parametrize("kind", sorted({c["kind"] for c in CASES}))
def test_each_kind_is_covered(kind):
    assert sum(c["kind"] == kind for c in CASES) == 160
