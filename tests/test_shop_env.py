"""The shop environment: catalog, search, reward, pages, gym API, server, initial pool."""

from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request

import gymnasium
import pytest
from gymnasium.utils.env_checker import check_env
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tui_agent.envs  # noqa: F401  (registers tui_agent/Shop-v0)
from tui_agent.envs.shop.catalog import (DATA_PATH, file_digest, goal_keywords,
                                         instruction_keywords, load_catalog)
from tui_agent.envs.shop.env import MAX_STEPS, ShopEnv
from tui_agent.envs.shop.generate import build_catalog, digest
from tui_agent.envs.shop.initial_pool import INITIAL_TASK, initial_episode, initial_trajectory
from tui_agent.envs.shop.pagetype import page_type_of, page_type_similarity
from tui_agent.envs.shop.reward import get_reward
from tui_agent.envs.shop.search import engine_for


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture()
def env():
    return ShopEnv(split="train")


def _buy_target(env: ShopEnv, goal: dict) -> tuple[float, dict]:
    """Oracle shopper: search the goal's words, page to the target, choose options, buy."""
    obs, reward, term, trunc, info = env.step(f"search[{instruction_keywords(goal['instruction'])}]")
    while f"click[{goal['asin']}]" not in info["available_actions"]:
        assert "click[Next >]" in info["available_actions"], "target not in search results"
        obs, reward, term, trunc, info = env.step("click[Next >]")
    obs, reward, term, trunc, info = env.step(f"click[{goal['asin']}]")
    for value in goal["options"].values():
        obs, reward, term, trunc, info = env.step(f"click[{value}]")
        assert info["valid"]
    obs, reward, term, trunc, info = env.step("click[Buy Now]")
    assert term
    return reward, info


# -- catalog ----------------------------------------------------------------------------

def test_catalog_sizes_and_splits(catalog):
    assert len(catalog.products) >= 1000
    assert len(catalog.categories) >= 10
    assert len(catalog.goals) >= 1000
    sizes = {k: len(v) for k, v in catalog.splits.items()}
    assert sizes["test"] >= 100 and sizes["train"] >= 10 and sizes["eval"] >= 100
    ids = [i for v in catalog.splits.values() for i in v]
    assert sorted(ids) == list(range(len(catalog.goals)))  # disjoint and complete
    for split, gids in catalog.splits.items():
        for gid in gids:
            goal = catalog.goals[gid]
            assert goal["split"] == split and goal["id"] == gid
            product = catalog.product(goal["asin"])
            assert goal["instruction"].endswith(f"price lower than {goal['price_upper']:.2f} dollars")
            assert set(goal["attributes"]) <= set(product["attributes"])
            assert all(v in product["options"][g] for g, v in goal["options"].items())
    assert len({p["asin"] for p in catalog.products}) == len(catalog.products)
    assert DATA_PATH.stat().st_size < 5_000_000


def test_products_have_webshop_fields(catalog):
    p = catalog.products[0]
    for key in ("asin", "title", "category_path", "price", "attributes", "options",
                "description", "features", "reviews", "rating"):
        assert key in p
    assert any(p["options"] for p in catalog.products)
    assert all(p["asin"].startswith("B0") and len(p["asin"]) == 10 for p in catalog.products)


def test_catalog_regenerates_to_the_shipped_file():
    assert digest(build_catalog()) == file_digest(DATA_PATH)
    assert load_catalog().digest == file_digest(DATA_PATH)


# -- reward -----------------------------------------------------------------------------

PRODUCT = {
    "asin": "B0TEST0001", "title": "Acme Clip-in Hair Extension - Natural Looking",
    "product_type": "clip-in hair extension", "query": "clip-in hair extension",
    "category_path": ["beauty & personal care", "hair care", "hair extensions"],
    "attributes": ["natural looking", "heat resistant"], "price": 35.0,
    "features": ["TANGLE FREE: stays smooth"], "description": "A clip-in hair extension.",
    "options": {"color": ["black", "navy blue"], "size": ["18 inch", "20 inch"]},
}
GOAL = {
    "attributes": ["natural looking", "tangle free", "double weft"],
    "options": {"color": "black", "size": "18 inch"}, "price_upper": 40.0,
    "product_type": "clip-in hair extension", "query": "clip-in hair extension",
    "product_category": ["beauty & personal care", "hair care", "hair extensions"],
}


def _other(**kw):
    return {**PRODUCT, **kw}


def test_reward_hand_computed():
    # attributes: natural looking (fuzzy), tangle free (features substring), double weft (no)
    # options: color ok, size 20 != 18 (exact); price ok -> (2 + 1 + 1) / (3 + 2 + 1)
    opts = {"color": "black", "size": "20 inch"}
    assert get_reward(PRODUCT, GOAL, 35.0, opts) == pytest.approx(4 / 6)
    assert get_reward(PRODUCT, GOAL, 45.0, opts) == pytest.approx(3 / 6)  # too expensive
    assert get_reward(PRODUCT, GOAL, 35.0, {}) == pytest.approx(3 / 6)  # no options chosen
    r, parts = get_reward(PRODUCT, GOAL, 35.0, {"color": "Black", "size": "18 inch"}, verbose=True)
    assert r == pytest.approx(5 / 6)
    assert parts["num_attr_matches"] == 2 and parts["num_option_matches"] == 2
    assert parts["r_type"] == 1.0 and parts["r_price"] is True


def test_reward_full_match_and_fuzzy_options():
    goal = {**GOAL, "attributes": ["natural looking", "heat resistant"],
            "options": {"color": "navy blue"}}
    assert get_reward(PRODUCT, goal, 35.0, {"color": "Navy-Blue"}) == 1.0
    assert get_reward(PRODUCT, goal, 35.0, {"color": "black"}) == pytest.approx(3 / 4)
    # attributes only: denominator is attributes + 1
    goal = {**goal, "options": {}}
    assert get_reward(PRODUCT, goal, 35.0, {}) == 1.0
    pack_goal = {**goal, "options": {"pack": "pack of 2"}}
    # WebShop's fuzzy option match: "pack of 3" scores > 85 against "pack of 2" ...
    assert get_reward(PRODUCT, pack_goal, 35.0, {"pack": "pack of 3"}) == 1.0
    # ... our stricter variant (a named option, off by default) needs the exact pack
    assert get_reward(PRODUCT, pack_goal, 35.0, {"pack": "pack of 3"}, strict_options=True) == pytest.approx(3 / 4)
    assert get_reward(PRODUCT, pack_goal, 35.0, {"pack": "pack of 2"}, strict_options=True) == 1.0


def test_reward_type_factor():
    goal = {**GOAL, "attributes": ["natural looking"], "options": {}}
    # no shared type nouns: r_type 0, even in the same category (as WebShop)
    shampoo = _other(product_type="shampoo", query="shampoo")
    assert get_reward(shampoo, goal, 35.0, {}) == 0.0
    # other category, no shared type nouns: r_type 0
    far = _other(product_type="yoga mat", query="yoga mat",
                 category_path=["sports", "fitness", "yoga mats"])
    assert get_reward(far, goal, 35.0, {}) == 0.0
    # other category, 1 of 3 goal nouns shared (1/3 > 0.2): r_type 1
    cord = _other(product_type="extension cord", query="extension cord",
                  category_path=["electronics", "power", "cords"])
    assert get_reward(cord, goal, 35.0, {}) == 1.0
    # 1 of 5 nouns (0.2, not > 0.2): 0.5 ; 1 of 11 nouns (< 0.1): 0.1
    five = {**goal, "product_type": "alpha beta gamma delta hair"}
    assert get_reward(cord | {"product_type": "hair net"}, five, 35.0, {}) == pytest.approx(0.5)
    # ... unless >= 2 category-path levels are shared: then r_type 1
    assert get_reward(_other(product_type="hair net"), five, 35.0, {}) == 1.0
    eleven = {**goal, "product_type": "a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 hair"}
    assert get_reward(cord | {"product_type": "hair net"}, eleven, 35.0, {}) == pytest.approx(0.1)


# -- env: pages, actions, episodes -------------------------------------------------------

def test_registered_and_env_checker():
    spec = gymnasium.spec("tui_agent/Shop-v0")
    assert spec.entry_point == "tui_agent.envs.shop.env:ShopEnv"
    made = gymnasium.make("tui_agent/Shop-v0", split="test")
    check_env(made.unwrapped)
    check_env(gymnasium.make("tui_agent/Shop-v0", split="test", render_mode="ansi").unwrapped)
    obs, info = made.reset(seed=0)
    assert made.observation_space.contains(obs)
    assert made.action_space.contains("click[Buy Now]")


def test_reset_info_and_goal_selection(env, catalog):
    obs, info = env.reset(seed=3, options={"split": "test", "goal_index": 7})
    goal = catalog.goal("test", 7)
    assert info["goal"]["asin"] == goal["asin"] and info["goal"]["index"] == 7
    assert info["instruction"] == goal["instruction"] and goal["instruction"] in obs
    assert info["page_type"] == "search" and info["has_search_bar"] is True
    assert info["available_actions"] == ["search[<keywords>]"] and info["clickables"] == ["search"]
    assert info["valid"] is True and "success" not in info
    first = env.reset(seed=11)[1]["goal"]
    assert env.reset(seed=11)[1]["goal"] == first  # seeded draw
    assert first["split"] == "train"
    with pytest.raises(ValueError):
        env.reset(options={"split": "nope"})
    with pytest.raises(IndexError):
        env.reset(options={"split": "test", "goal_index": 10_000})


def test_every_page_type_reachable(env):
    seen = []

    def check(info):
        seen.append(info["page_type"])
        assert page_type_of(info["available_actions"]) == info["page_type"]
        assert page_type_of(info["clickables"]) == info["page_type"]
        assert info["valid"]

    obs, info = env.reset(options=dict(INITIAL_TASK))
    check(info)
    assert obs.startswith("\nWebShop\nInstruction:\n") and obs.endswith("\n[Search]\n")
    obs, _, _, _, info = env.step("search[shampoo]")
    check(info)
    assert obs.splitlines()[1:6] == ["Instruction:", info["instruction"], "[Back to Search]",
                                     "Page 1 (Total results: 50)", "[Next >]"]
    # the REMEMBERER fork's text env: 3 of the page's 10 products, each as [ASIN] / title / price tag
    assert len([a for a in info["available_actions"] if a.startswith("click[B0")]) == 3
    assert len(obs.splitlines()) == 6 + 3 * 3
    obs, _, _, _, info = env.step("click[Next >]")
    check(info)
    assert "Page 2 (Total results: 50)" in obs and "[< Prev]" in obs
    obs, _, _, _, info = env.step("click[< Prev]")
    asin = info["available_actions"][2][len("click["):-1]
    obs, _, _, _, info = env.step(f"click[{asin.lower()}]")  # case-insensitive
    check(info)
    assert info["page_type"] == "item" and "[Buy Now]" in obs
    for sub in ("Description", "Features", "Reviews"):
        obs, _, _, _, info = env.step(f"click[{sub}]")
        check(info)
        assert info["page_type"] == "item_sub" and "\n[Back to Search]\n[< Prev]\n" in obs
        obs, _, _, _, info = env.step("click[< Prev]")
    obs, _, _, _, info = env.step("click[Back to Search]")
    check(info)
    assert seen[-1] == "search"
    assert set(seen) == {"search", "results", "item", "item_sub"}


def test_options_are_marked_and_buy_ends_episode(env, catalog):
    obs, info = env.reset(options=dict(INITIAL_TASK))
    goal = info["goal"]
    reward, info = _buy_target(env, goal)
    assert reward == 1.0 and info["success"] is True and info["reward"] == 1.0
    assert info["page_type"] == "done" and info["available_actions"] == []
    assert info["purchased"]["options"] == goal["options"]
    # the episode is over: further steps are no-ops
    obs2, r, term, trunc, info2 = env.step("click[Back to Search]")
    assert r == 0.0 and term and not trunc and info2["valid"] is False


def test_chosen_option_shown_in_double_brackets(env):
    env.reset(options=dict(INITIAL_TASK))
    env.step("search[travel size salon quality shampoo argan oil 12 fl oz]")
    env.step("click[B068JU4AQR]")
    obs, *_ = env.step("click[argan oil]")
    assert "scent [tea tree][[argan oil]]" in obs.splitlines()
    assert obs.startswith("\nYou have clicked argan oil.\nInstruction:\n")
    assert obs.endswith("\nRating: " + obs.split("\nRating: ")[1].split("\n")[0]
                        + "\n[Description]\n[Features]\n[Reviews]\n[Buy Now]\n")
    obs, _, _, _, info = env.step("click[< Prev]")
    assert "[[B068JU4AQR]]" in obs.splitlines()  # a visited item, as the fork marks it


@pytest.mark.parametrize("prefix", [[], ["search[shampoo]"], ["search[shampoo]", "click[Next >]"]])
def test_invalid_actions_are_noops(env, prefix):
    obs, info = env.reset(options={"split": "test", "goal_index": 0})
    for a in prefix:
        obs, *_, info = env.step(a)
    page = info["page_type"]
    for bad in ["click[nonexistent]", "jump[now]", "", "click[search]", "search[]",
                "click[Buy Now]" if page != "item" else "click[B000000000]",
                "search[shampoo]" if page != "search" else "click[Next >]", 42]:
        step = info["step"]
        obs2, r, term, trunc, info2 = env.step(bad)
        assert (obs2, r, term, trunc) == (obs, 0.0, False, False)
        assert info2["valid"] is False and info2["page_type"] == page
        assert info2["step"] == step + 1
        info = info2


def test_truncated_after_15_steps(env):
    env.reset(options={"split": "test", "goal_index": 1})
    for i in range(1, MAX_STEPS + 1):
        obs, r, term, trunc, info = env.step("click[Next >]" if i % 2 else "search[mat]")
        assert r == 0.0 and not term
        assert trunc == (i == MAX_STEPS)
    assert info["success"] is False and info["reward"] == 0.0 and info["purchased"] is None
    assert info["available_actions"] == []
    _, _, term, trunc, info = env.step("search[anything]")
    assert trunc and not term and info["valid"] is False


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(max_size=40) | st.sampled_from(
    ["click[Back to Search]", "click[< Prev]", "click[Next >]", "click[Features]",
     "search[shampoo travel size]", "click[Buy Now]"]), max_size=18))
def test_random_actions_stay_in_spaces(env, actions):
    obs, info = env.reset(options={"split": "test", "goal_index": 5})
    for a in actions:
        obs, r, term, trunc, info = env.step(a)
        assert env.observation_space.contains(obs)
        assert 0.0 <= r <= 1.0
        assert info["page_type"] in ("search", "results", "item", "item_sub", "done")
        if term or trunc:
            break


# -- search reachability ---------------------------------------------------------------

def test_test_goals_reachable_by_search(catalog):
    engine = engine_for(catalog)
    n = catalog.split_size("test")
    top10 = top50 = solvable10 = solvable3 = 0
    for i in range(n):
        goal = catalog.goal("test", i)
        for query in (instruction_keywords(goal["instruction"]), goal_keywords(goal)):
            hits = [catalog.products[j] for j in engine.search(query)]
            asins = [p["asin"] for p in hits]
            top10 += goal["asin"] in asins[:10]
            top50 += goal["asin"] in asins
        best = [get_reward(p, goal, p["price"], {g: v for g, v in goal["options"].items()
                                                 if v in p["options"].get(g, [])})
                for p in hits[:10]]
        solvable10 += max(best) == 1.0
        solvable3 += max(best[:3]) == 1.0
    # measured on the shipped catalog: 100% in the top 50 (5 result pages), ~88% in the top 10;
    # some reward-1 product in the top 10 for 197/200 test goals, among the 3 shown for 177/200
    assert top50 == 2 * n
    assert top10 >= 0.85 * 2 * n
    assert solvable10 >= 0.95 * n
    assert solvable3 >= 0.85 * n


def test_every_test_goal_solvable_in_the_env(catalog):
    env = ShopEnv(split="test", results_per_page=10)  # WebShop's own: all 10 results shown
    for i in range(catalog.split_size("test")):
        env.reset(options={"goal_index": i})
        reward, info = _buy_target(env, catalog.goal("test", i))
        assert reward == 1.0 and info["success"] and info["step"] <= MAX_STEPS


# -- f_obs ------------------------------------------------------------------------------

def test_page_type_similarity():
    assert page_type_similarity("item", "item") == 1.0
    assert page_type_similarity("item", "item_sub") == 0.3
    assert page_type_similarity("item_sub", "item") == 0.3
    assert page_type_similarity("search", "results") == 0.0
    assert page_type_similarity("results", "item") == 0.0
    assert page_type_similarity(["search[<keywords>]"], "search") == 1.0
    # REMEMBERER's lower-case clickables, as a list and as a newline-joined string
    item = ["back to search", "< prev", "black", "description", "buy now"]
    sub = "back to search\n< prev"
    assert page_type_of(item) == "item" and page_type_of(sub) == "item_sub"
    assert page_type_similarity(item, sub) == 0.3
    assert page_type_of(["back to search", "< prev", "next >", "b078gwrc1j"]) == "results"
    assert page_type_of(["click[Back to Search]"]) == "results"  # no hits
    assert page_type_of([]) == "done"
    assert page_type_of(["click[wat]"]) == "unknown"
    assert page_type_similarity(["click[wat]"], ["click[wat]"]) == 0.0


# -- initial pool ------------------------------------------------------------------------

def test_initial_trajectory_replays_to_reward_1(catalog):
    steps = initial_trajectory()
    assert INITIAL_TASK["split"] == "train"
    assert len(steps) >= 5
    env = ShopEnv(split="train")
    obs, info = env.reset(options=dict(INITIAL_TASK))
    total = 0.0
    for observation, available, action, reason in steps:
        assert observation == obs and available == info["available_actions"]
        assert reason and page_type_of(available) in ("search", "results", "item", "item_sub")
        obs, reward, term, trunc, info = env.step(action)
        total += reward
    assert term and reward == 1.0 and info["success"] and total == 1.0
    episode = initial_episode()
    assert episode["rewards"][-1] == 1.0 and episode["success"]
    assert {step.action for step in steps} >= {"click[Buy Now]", "click[Features]"}


# -- HTML server -------------------------------------------------------------------------

def test_server_pages_and_escaping():
    from tui_agent.envs.shop.server import make_server

    srv = make_server(port=0, split="train", goal_index=INITIAL_TASK["goal_index"])
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        opener = urllib.request.build_opener()
        resp = opener.open(srv.url)
        url = resp.geturl()
        assert "/s/" in url and "Instruction:" in resp.read().decode()

        def post(data):
            req = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode())
            return opener.open(req).read().decode()

        page = post({"keywords": "<script>alert(1)</script> travel size shampoo"})
        assert "<script>" not in page and "&lt;script&gt;" in page
        assert "Total results" in page and "What the agent sees" in page
        post({"action": "click[Back to Search]"})
        post({"keywords": "travel size salon quality shampoo argan oil 12 fl oz"})
        for action in ("click[B068JU4AQR]", "click[argan oil]", "click[12 fl oz]"):
            page = post({"action": action})
        assert 'class="chosen">argan oil<' in page
        page = post({"action": "click[Buy Now]"})
        assert "Thank you for shopping with us!" in page and "1.00" in page
        with pytest.raises(urllib.error.HTTPError):
            opener.open(srv.url + "s/unknown-session")
    finally:
        srv.shutdown()
        srv.server_close()
