"""Pure parts of shop RLEM: retrieval score, advice with random fill, exemplar budget, roles,
Q estimates, action matching, keywords, free-text goals, the initial pool and the protocol."""

from __future__ import annotations

import random
from types import SimpleNamespace

import numpy as np
import pytest

from tui_agent.envs.shop.initial_pool import initial_episode
from tui_agent.memory.schema import Experience
from tui_agent.rlem.advice import AdviceOptions, make_advice, parse_advice
from tui_agent.rlem.records import ActionKey, Record, RecordKey, choose_exemplars, records_from_rows, score_records
from tui_agent.rlem.replay import HistoryReplay
from tui_agent.shop import prompt as prm
from tui_agent.shop.pool import INITIAL_POOL_FILE, load_initial_pool, pool_experiences
from tui_agent.shop.records import ShopQuery, element, random_action, shop_similarity
from tui_agent.shop.policy import (
    Estimate,
    PolicyConfig,
    action_role,
    choose_by_q,
    drop_repeats,
    estimate_q,
    match_action,
    search_keywords,
)
from tui_agent.shop.protocol import match_goal, summarize, train, training_goals

ITEM = ["click[Back to Search]", "click[< Prev]", "click[red]", "click[blue]", "click[small]",
        "click[Description]", "click[Features]", "click[Reviews]", "click[Buy Now]"]
RESULTS = ["click[Back to Search]", "click[Next >]", "click[B000000001]", "click[B000000002]"]
SUB = ["click[Back to Search]", "click[< Prev]"]
SEARCH = ["search[<keywords>]"]


def unit(*xs: float) -> np.ndarray:
    v = np.zeros(384, dtype=np.float32)
    v[: len(xs)] = xs
    return v / np.linalg.norm(v)


def record(task: str, actions: list[str], qs: dict[str, float], vec: np.ndarray, obs: str = "page",
           n: int = 1) -> Record:
    key = RecordKey.of(task, obs, actions)
    rows = [Experience(task=task, action=a, kind="shop", observation=obs, available_actions=key.available_actions,
                       q=q, n=n, vector=list(vec)) for a, q in qs.items()]
    (rec,) = records_from_rows(rows)
    return rec


def scores(records, vec, page, lam=0.5):
    return score_records(shop_similarity(lam), ShopQuery(vec, page), records)


# --- retrieval ------------------------------------------------------------------------

def test_score_is_lambda_mix_of_task_and_page_type_similarity():
    here = unit(1, 0)
    same_task_item = record("t", ITEM, {"click[Buy Now]": 1.0}, unit(1, 0))
    other_task_sub = record("u", SUB, {"click[< Prev]": 1.0}, unit(0.6, 0.8))
    other_task_results = record("u", RESULTS, {"click[Next >]": 0.0}, unit(0, 1))
    scored = scores([other_task_results, other_task_sub, same_task_item], here, "item", lam=0.5)
    assert [s.record for s in scored] == [same_task_item, other_task_sub, other_task_results]
    assert [round(s.score, 4) for s in scored] == [1.0, round(0.5 * 0.6 + 0.5 * 0.3, 4), 0.0]
    assert scored[1].f_obs == pytest.approx(0.3) and scored[1].f_task == pytest.approx(0.6)


def test_ties_are_broken_by_visits_and_bootstrap_uses_own_record_first():
    vec = unit(1)
    few = record("t", ITEM, {"click[red]": 0.2}, vec, obs="a", n=1)
    many = record("t", ITEM, {"click[blue]": 0.9}, vec, obs="b", n=7)
    assert scores([few, many], vec, "item")[0].record is many
    replay = HistoryReplay(shop_similarity(), lambda k: ShopQuery(vec, "item"), records=[few, many])
    assert replay.max_q(few.key) == 0.2
    assert replay.max_q(RecordKey.of("t", "c", ITEM)) == 0.9  # unknown: the most similar record
    assert HistoryReplay(shop_similarity(), lambda k: None, records=[]).max_q(few.key) == 0.0


def test_rows_are_keyed_by_action_and_reason_duplicates_keep_the_most_updated():
    key = RecordKey.of("t", "o", SUB)
    rows = [Experience(task="t", action="click[< Prev]", kind="shop", observation="o", reason=r,
                       available_actions=key.available_actions, q=q, n=n, vector=list(unit(1)))
            for q, n, r in ((0.1, 1, ""), (0.7, 4, ""), (0.3, 2, "go back"))]
    (rec,) = records_from_rows(rows)
    assert rec.actions[ActionKey("click[< Prev]")].q == 0.7 and rec.actions[ActionKey("click[< Prev]", "go back")].n == 2
    assert rec.visits == 6 and rec.find("click[< Prev]")[1].n == 4


# --- advice ---------------------------------------------------------------------------

def test_advice_encourages_top_q_and_discourages_zero_q():
    rec = record("t", ITEM, {"click[red]": 0.8, "click[Buy Now]": 0.0, "click[blue]": 0.0}, unit(1))
    adv = make_advice(rec, random.Random(0), random_action)
    assert adv.encouraged == [(ActionKey("click[red]"), 0.8)]
    assert {a.action for a, _ in adv.discouraged} == {"click[Buy Now]", "click[blue]"}
    assert "click[red] -> 0.8 " in adv.text() and "Discouraged:" in adv.text()


def test_random_fill_writes_valid_actions_with_the_reference_reasons():
    rng = random.Random(1)
    bad = record("t", ITEM, {"click[red]": 0.0}, unit(1))
    (action, value), = make_advice(bad, rng, random_action).encouraged
    assert action.action in ITEM and 0.0 <= value < 0.5 and action.reason  # canned reason
    good = record("t", ITEM, {"click[red]": 1.0, "click[Buy Now]": 0.6}, unit(1))
    (other, zero), = make_advice(good, rng, random_action).discouraged
    assert zero == 0.0 and other.action in ITEM and other.action != "click[red]"
    search = record("i need a lamp", SEARCH, {"search[lamp]": 0.0}, unit(1))
    assert random_action(search, True, rng) == ActionKey("search[i need a lamp]", "")
    assert random_action(Record(RecordKey.of("t", "o", ITEM)), False, random.Random(0)).reason.endswith(".")
    reasons = {random_action(bad, False, random.Random(i)) for i in range(60)}
    assert ActionKey("click[Reviews]", "There is no need to review.") in reasons
    assert ActionKey("click[red]", "red is not the desired item.") in reasons


def test_ablations_no_random_and_no_discouraged():
    bad = record("t", ITEM, {"click[red]": 0.0}, unit(1))
    assert make_advice(bad, random.Random(0), random_action, AdviceOptions(random_fill=False)).encouraged == \
        [(ActionKey("click[red]"), 0.0)]
    good = record("t", ITEM, {"click[red]": 1.0, "click[Buy Now]": 0.6}, unit(1))
    norandom = make_advice(good, random.Random(0), random_action, AdviceOptions(random_fill=False))
    assert norandom.discouraged == [(ActionKey("click[Buy Now]"), 0.6)]  # the reference's actions[-1:]
    nodis = make_advice(good, random.Random(0), random_action, AdviceOptions(discouraged=False))
    assert nodis.discouraged == [] and "Discouraged" not in nodis.text(with_discouraged=False)


def test_exemplars_fit_the_budget_and_most_similar_comes_last():
    recs = [record(f"task {i}", ITEM, {"click[red]": 1.0}, unit(1, i / 10), obs=f"o{i}") for i in range(4)]
    scored = scores(recs, unit(1, 0), "item")

    def render(s, i):
        return f"Example {i + 1}:\n" + prm.format_input(s.record.key.task, "page", ITEM, [ActionKey("search[x]", "r")])

    size = len(render(scored[0], 0))
    chosen = choose_exemplars(scored, 2, 2 * size + 10, render)
    assert [s.record.key.task for s, _ in chosen] == [scored[1].record.key.task, scored[0].record.key.task]
    assert chosen[-1][1].startswith("Example 1:") and "Last 5 Actions:\n- search[x] r" in chosen[-1][1]
    assert len(choose_exemplars(scored, 2, size + 1, render)) == 1  # text + newline
    assert choose_exemplars(scored, 2, 10, render) == []


def test_prompt_has_the_reference_structure():
    past = record("i need a red shirt", ITEM, {"click[red]": 1.0, "click[Buy Now]": 0.0}, unit(1), obs="shirt page")
    messages, shown = prm.build_prompt("i need a blue cap", "cap page\nline 2", ITEM, [ActionKey("search[cap]", "")],
                                       scores([past], unit(1), "item"), random.Random(0))
    system, user = messages[0]["content"], messages[1]["content"]
    assert "Here are several common principles" in system and "9. I should encourage" in system
    assert user.startswith("Here are some examples:\n\nExample 1:\n\n---\nLast 5 Actions:\n")
    assert "Encouraged:\nclick[red] -> 1.0 \nDiscouraged:\nclick[Buy Now] -> 0.0\n\nNow the new input" in user
    assert user.endswith("Now the new input:\n\n---\nLast 5 Actions:\n- search[cap] \nObservation: |\n"
                         "  cap page\n  line 2\nAvailable Actions:\n"
                         + "\n".join(f"- {element(a)}" for a in ITEM) + "\n...")
    assert shown == ["Encouraged:\nclick[red] -> 1.0 \nDiscouraged:\nclick[Buy Now] -> 0.0 "]
    new_input = prm.approx_tokens(prm.format_input("i need a blue cap", "cap page", ITEM))
    tight, _ = prm.build_prompt("i need a blue cap", "cap page", ITEM, [], scores([past], unit(1), "item"),
                                random.Random(0), budget=new_input + 10)
    assert "Example 1" not in tight[1]["content"]  # the new input is paid first


def test_advice_parsing_follows_the_reference():
    text = ("Encouraged:\nclick[B0ABCDEFGH] -> 0.8 It is a red shirt.\nclick[Next >] -> 0.3\n"
            "Discouraged:\nclick[Reviews] -> 0.0 no need")
    assert parse_advice(text) == ActionKey("click[B0ABCDEFGH]", "It is a red shirt.")
    assert parse_advice("Encouraged:\nsearch[red shirt] -> 1.0") == ActionKey("search[red shirt]", "")
    assert parse_advice(" click[a] -> 0.2 x\nclick[b] -> 0.9 y") is None  # no "Encouraged:" colon before a line
    assert parse_advice("Encouraged:\nclick[a] -> high") is None  # not a number: unreadable
    assert parse_advice("I think you should buy it.") is None


# --- policy parts ---------------------------------------------------------------------

INSTR = "i need a red shirt that is soft, in small size, and price lower than 20.00 dollars"


def test_search_keywords_drop_price_lead_in_and_fillers():
    assert search_keywords(INSTR) == "red shirt soft small"
    assert search_keywords("i'm looking for a 9.5 inch pan, and price lower than 5.00 dollars") == "9.5 inch pan"
    assert search_keywords("and") == "and"


def test_roles_describe_what_an_action_does_on_its_page():
    assert action_role("click[B000000002]", RESULTS, INSTR, "") == "result #2"
    assert action_role("click[Next >]", RESULTS, INSTR, "") == "next >"
    assert action_role("click[red]", ITEM, INSTR, "") == "option named, new"
    assert action_role("click[red]", ITEM, INSTR, "color [[red]] [blue]") == "option named, chosen"
    assert action_role("click[blue]", ITEM, INSTR, "") == "option not named"
    assert action_role("click[Buy Now]", ITEM, INSTR, "color [red]") == "buy now, named options pending"
    assert action_role("click[Buy Now]", ITEM, INSTR, "[[red]] [[small]]") == "buy now"
    assert action_role("search[anything]", SEARCH, INSTR, "") == "search"


def test_q_estimates_carry_over_by_role_and_choose():
    # a past shampoo page: clicking the named option was worth .9, buying early .4
    past = record("i need argan oil shampoo", ["click[< Prev]", "click[argan oil]", "click[tea tree]",
                                               "click[Buy Now]"],
                  {"click[argan oil]": 0.9, "click[Buy Now]": 0.4, "click[tea tree]": 0.1}, unit(1))
    retrieved = scores([past], unit(1), "item")
    est = {e.action: e for e in estimate_q(ITEM, ITEM, INSTR, "", retrieved, PolicyConfig(prior_weight=0))}
    assert est["click[red]"].q == pytest.approx(0.9) and est["click[red]"].role == "option named, new"
    assert est["click[blue]"].q == pytest.approx(0.1)
    assert est["click[Buy Now]"].q == pytest.approx(0.4) and est["click[Buy Now]"].support > 0.3
    assert est["click[Reviews]"].support == 0.0
    assert {e.action for e in choose_by_q(list(est.values()))} == {"click[red]", "click[small]"}
    exact = {e.action: e for e in estimate_q(ITEM, ITEM, INSTR, "", retrieved,
                                             PolicyConfig(analogy=False, prior_weight=0))}
    assert exact["click[Buy Now]"].q == pytest.approx(0.4) and exact["click[red]"].support == 0.0
    # the prior weight k shrinks an estimate with support w: Q̂ = w·Q / (w + k)
    shrunk = {e.action: e for e in estimate_q(ITEM, ITEM, INSTR, "", retrieved, PolicyConfig(prior_weight=0.5))}
    w = shrunk["click[red]"].support
    assert w == pytest.approx(1.0) and shrunk["click[red]"].q == pytest.approx(0.9 * w / (w + 0.5))
    optimistic = {e.action: e for e in estimate_q(ITEM, ITEM, INSTR, "", retrieved, optimistic=True)}
    assert optimistic["click[Reviews]"].optimistic and optimistic["click[Reviews]"].q == 1.0


def test_memory_abstains_below_q_min_or_support():
    low = [Estimate("click[a]", "a", 0.3, 2.0), Estimate("click[b]", "b", 0.9, 0.1)]
    assert choose_by_q(low) == []


def test_repeats_are_dropped_except_back_from_a_sub_page():
    assert drop_repeats(ITEM, {"click[Features]"}) == [a for a in ITEM if a != "click[Features]"]
    assert drop_repeats(SUB, {"click[< Prev]"}) == SUB
    assert drop_repeats(["click[x]"], {"click[x]"}) == ["click[x]"]


@pytest.mark.parametrize("text, expected", [
    ("Encouraged:\nclick[Buy Now] -> 0.9\nDiscouraged:\nclick[red] -> 0.0", "click[Buy Now]"),
    ("I would click[buy now]", "click[Buy Now]"),
    ("Encouraged:\nclick[Blue color] -> 1.0", "click[blue]"),
    ("Encouraged:\nReviews", "click[Reviews]"),
    ("click[purple elephant]", None),
    ("search[red shirt]", None),
])
def test_hosted_answers_are_matched_to_valid_actions(text, expected):
    assert match_action(text, ITEM, INSTR) == expected


def test_hosted_search_uses_the_answer_or_the_instruction():
    assert match_action("search[red shirt small]", SEARCH, INSTR) == "search[red shirt small]"
    assert match_action("I don't know", SEARCH, INSTR) == f"search[{search_keywords(INSTR)}]"


# --- goals, pool, protocol ------------------------------------------------------------

def test_free_text_goals_match_the_closest_catalog_goal():
    from tui_agent.envs.shop.catalog import load_catalog

    catalog = load_catalog()
    exact = catalog.goal("test", 3)["instruction"]
    m = match_goal(exact.upper(), catalog)
    assert (m.split, m.goal_index, m.has_reward) == ("test", 3, True)
    assert m.options["instruction"] == exact.upper()
    vague = match_goal("something nice for my grandmother", catalog)
    assert not vague.has_reward and vague.similarity < 90


def test_initial_pool_file_replays_the_hand_written_trajectory():
    steps = load_initial_pool()
    ep = initial_episode()
    assert INITIAL_POOL_FILE.parent.name == "memories"
    assert [(s["observation"], s["available_actions"], s["action"], s["reason"]) for s in steps] == \
        [tuple(s) for s in ep["steps"]]
    assert [s["return"] for s in steps] == [1.0] * 7 and steps[-1]["reward"] == 1.0
    rows = pool_experiences(list(unit(1)))
    assert all((e.q, e.n, e.source, e.kind) == (1.0, 1, "initial", "shop") for e in rows)
    # steps 2 and 4 (Features, argan oil) share one observation: one record, two actions
    assert sorted(len(r.actions) for r in records_from_rows(rows)) == [1, 1, 1, 1, 1, 2]


def test_initial_pool_is_loaded_once(store):
    from tui_agent.shop.agent import ShopAgent

    emb = SimpleNamespace(encode_one=lambda text: unit(1))
    agent = ShopAgent(store, emb)
    assert agent.ensure_initial_pool() == 7
    assert agent.ensure_initial_pool() == 0 and store.count("shop") == 7


def test_training_protocol_skips_goals_solved_in_the_first_epoch():
    calls = []

    class Agent:
        def run_episode(self, env, options, policy, learn):
            calls.append((options["goal_index"], learn))
            ok = options["goal_index"] % 2 == 0
            return SimpleNamespace(reward=1.0 if ok else 0.5, success=ok, steps=[1, 2])

    env = SimpleNamespace(catalog=SimpleNamespace(split_size=lambda split: 100))
    report = train(Agent(), env, tasks=4, epochs=3, seed=5)
    goals = training_goals(4, 5)
    assert report["goals"] == goals and 2 not in goals  # the initial pool's goal is never drawn
    unsolved = [g for g in goals if g % 2]
    assert [g for g, _ in calls] == goals + unsolved + unsolved and all(learn for _, learn in calls)
    assert [e["episodes"] for e in report["epochs"]] == [4, len(unsolved), len(unsolved)]
    assert summarize([SimpleNamespace(reward=1.0, success=True), SimpleNamespace(reward=0.5, success=False)]) == \
        {"episodes": 2, "score": 0.75, "success_rate": 0.5}


def test_training_sets_are_the_papers_two_fixed_sets_of_ten():
    from tui_agent.shop.protocol import TRAINING_SETS, evaluate, training_set

    s0, s1 = training_set("S0"), training_set("s1")
    assert len(s0) == len(s1) == 10 and not set(s0) & set(s1) and 2 not in s0 + s1
    assert TRAINING_SETS["S0"] == s0
    with pytest.raises(ValueError, match="S0, S1"):
        training_set("S2")
    calls = []

    class Agent:
        def run_episode(self, env, options, policy, learn):
            calls.append((options["split"], options["goal_index"], learn))
            return SimpleNamespace(reward=0.0, success=False, steps=[1], to_json=lambda: {})

    env = SimpleNamespace(catalog=SimpleNamespace(split_size=lambda split: 100))
    report = train(Agent(), env, epochs=1, train_set="S1")
    assert report["train_set"] == "S1" and report["goals"] == s1
    assert calls == [("train", g, True) for g in s1]
    calls.clear()
    report = evaluate(Agent(), env, policy="episodic-control", split="train", goals=s0)
    assert report["goals"] == s0 and calls == [("train", g, False) for g in s0]


def test_learn_episode_updates_each_distinct_record_action_once():
    replay = HistoryReplay(shop_similarity(), lambda k: None, records=[])
    a, b = RecordKey.of("t", "page a", ITEM), RecordKey.of("t", "page b", ITEM)
    taken = [(a, ActionKey("click[x]", "r"), 0), (b, ActionKey("click[y]", "r"), 1), (a, ActionKey("click[x]", "r"), 2)]
    updates = replay.learn_episode(taken, -1.0)
    assert len(updates) == 2 and [(u.q, u.n) for u in updates] == [(-1.0, 1), (-1.0, 1)]
    again = replay.learn_episode(taken[:1], 1.0)  # the running mean: (-1 + 1) / 2
    assert (again[0].q, again[0].n) == (0.0, 2)


def test_success_reward_and_epsilon_greedy_are_opt_in(store):
    """``success_reward``: the memory learns 1 for a success, 0 for a partial purchase; ``epsilon``: a
    random candidate while exploring (training), never in evaluation."""
    from tui_agent.shop.agent import ShopAgent, ShopConfig

    emb = SimpleNamespace(encode_one=lambda text: unit(1))
    plain = ShopAgent(store, emb, config=ShopConfig(scorer="constant"))
    assert plain.learning_reward(0.8, {"success": False}) == 0.8
    succ = ShopAgent(store, emb, config=ShopConfig(scorer="constant", policy=PolicyConfig(success_reward=True)))
    assert succ.learning_reward(0.8, {"success": False}) == 0.0
    assert succ.learning_reward(1.0, {"success": True}) == 1.0
    eps = ShopAgent(store, emb, config=ShopConfig(scorer="constant", seed=0, policy=PolicyConfig(epsilon=1.0)))
    step = eps.act("episodic-control", "i need a red shirt", "results", RESULTS, [], set(), learn=True, explore=True)
    assert step.explored and step.reason.startswith("ε-greedy") and step.action in RESULTS
    frozen = eps.act("episodic-control", "i need a red shirt", "results", RESULTS, [], set())
    assert not frozen.explored
