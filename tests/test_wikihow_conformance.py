"""The simulation's screens against REMEMBERER's WikiHow pools, kind by kind (issue 27's acceptance).

Each screen of the pools (``../shared/reference/rememberer-pools/*.q.yaml``) is classified by kind
(home, results, article, category, author); the simulation's screens of the same kind (walked by the
oracle over train and test tasks, scrolled ones included) must have

* the same line format: tags, the attribute names in the pools' order, ``id`` = position, the status
  bar last;
* the same fixed structure: the home screen line for line; the results header and result cards;
  the article top (options, why-trust, breadcrumb, byline); the category and author page tops;
* only (tag, class, clickable) kinds of element that the pools' screens of that kind have;

and every pool action's form must be valid on the simulation's screen of that kind, with the same
element role at the same id where the pools' layout fixes it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tui_agent.envs.wikihow.app import parse_action
from tui_agent.envs.wikihow.env import WikiHowEnv
from tui_agent.envs.wikihow.oracle import oracle_action
from tui_agent.envs.wikihow.screen import ParsedElement, parse_screen, screen_kind

POOLS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "rememberer-pools"
if not POOLS.is_dir():
    POOLS = Path("/work/shared/reference/rememberer-pools")
KINDS = ("home", "results", "article", "category", "author")


def _pool_steps() -> list[tuple[str, str, str]]:
    """(screen, task, action) of every pool entry."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("tag:yaml.org,2002:python/tuple",
                           lambda loader, node: tuple(loader.construct_sequence(node, deep=True)))
    out = []
    for path in sorted(POOLS.glob("*.q.yaml")):
        for key, value in yaml.load(path.read_text(encoding="utf-8"), Loader=Loader).items():
            out += [(key[0], key[1], action[0]) for action in value["action_dict"]]
    return out


def kind_of(elements: list[ParsedElement]) -> str:
    """The kind of a screen, read off its elements (the policies' classifier)."""
    return screen_kind(elements)


@pytest.fixture(scope="module")
def pool() -> dict[str, list[tuple[list[ParsedElement], str]]]:
    if not POOLS.is_dir():
        pytest.skip("the reference pools are not here")
    out: dict[str, list[tuple[list[ParsedElement], str]]] = {}
    for screen, _task, action in _pool_steps():
        elements = parse_screen(screen)
        out.setdefault(kind_of(elements), []).append((elements, action))
    return out


@pytest.fixture(scope="module")
def sim() -> dict[str, list[list[ParsedElement]]]:
    """Screens of the simulation by page kind, from oracle walks over 40 tasks (every pattern)."""
    env = WikiHowEnv()
    out: dict[str, list[list[ParsedElement]]] = {}
    for split, n in (("train", 20), ("test", 20)):
        for i in range(n):
            obs, info = env.reset(options={"split": split, "task_index": i})
            while True:
                out.setdefault(info["page_type"], []).append(parse_screen(obs))
                obs, _r, term, trunc, info = env.step(oracle_action(env))
                if term or trunc:
                    out.setdefault(info["page_type"], []).append(parse_screen(obs))
                    break
    return out


def _shape(e: ParsedElement) -> tuple[str, str, str]:
    cls = e.get("class")
    return e.tag, "<image id>" if re.fullmatch(r"62e[0-9a-f]{10}", cls) else cls, e.get("clickable")


def _attr_names(e: ParsedElement) -> tuple[str, ...]:
    return tuple(k for k, _ in e.attrs)


def test_every_pool_screen_has_a_known_kind(pool):
    assert "other" not in pool, [e.line for e in pool.get("other", [([], "")])[0][0]][:5]
    assert set(pool) == set(KINDS)


def test_line_format_ids_and_status_bar(pool, sim):
    names = {(e.tag, _attr_names(e)) for screens in pool.values() for els, _ in screens for e in els}
    for kind, screens in sim.items():
        for els in screens:
            assert [e.id for e in els] == list(range(len(els))), kind
            assert els[-1].get("class") == "statusBarBackground" and not els[-1].clickable
            assert kind not in KINDS or screen_kind(els) == kind, (kind, [e.line for e in els][:4])
            for e in els:
                assert (e.tag, _attr_names(e)) in names or kind not in KINDS and e.tag in ("p", "div", "img"), e.line


@pytest.mark.parametrize("kind", KINDS)
def test_element_kinds_are_the_pools(pool, sim, kind):
    pool_shapes = {_shape(e) for els, _ in pool[kind] for e in els}
    assert sim.get(kind), f"the walk never showed a {kind} screen"
    for els in sim[kind]:
        if kind == "article" and els[2].get("alt") != "More options":
            continue  # the pools show article tops only (scrolled: steps, tips, references, related articles)
        extra = {_shape(e) for e in els} - pool_shapes
        if kind == "category":  # the root page's banner is in the pools; the scrolled header is a div too
            extra -= {("div", "header container", "false")}
        if kind in ("article", "author"):
            extra -= {("div", "header container", "false"), ("div", "header container", "true")}
        assert not extra, (kind, extra)


def _top(els: list[ParsedElement], n: int) -> list[tuple[str, tuple[str, ...], str, str]]:
    return [(e.tag, _attr_names(e), e.get("class"), e.get("clickable")) for e in els[:n]]


def test_home_is_the_pools_line_for_line(pool, sim):
    pool_home = [e.line for e in pool["home"][0][0]]
    assert all([e.line for e in els] == pool_home for els in sim["home"])


def test_results_header_and_cards(pool, sim):
    card = re.compile(r"^(div:T div:• p:V div:• p:U p:A( div:• p:B)? ?)+"  # whole cards, then one cut by the end
                      r"(div:T( div:•( p:V( div:•( p:U( p:A( div:•)?)?)?)?)?)?)?$")

    def cards(els):
        toks = []
        for e in els[3:-1]:
            t = e.text
            tok = ("•" if t.strip() == "•" else "V" if t.endswith("views") else "U" if t == "Updated"
                   else "A" if t.endswith("ago") else "B" if t in ("Expert Co-Authored", "Quality Tested") else "T")
            toks.append(f"{e.tag}:{tok}")
        return " ".join(toks)

    for els, _ in pool["results"]:
        if "HOW TO" not in [e.text for e in els]:
            assert card.match(cards(els)), cards(els)
    for els in sim["results"]:
        assert _top(els, 3) == _top(pool["results"][0][0], 3)
        assert card.match(cards(els)), cards(els)


def test_article_top(pool, sim):
    fixed = ["", "Learn why people ", "trust wikiHow"]
    pool_top = _top(pool["article"][0][0], 9)
    tops = [els for els in sim["article"] if els[2].get("alt") == "More options"]
    assert tops
    for els in tops:
        assert _top(els, 9) == pool_top
        assert [e.text for e in els[2:5]] == fixed and els[6].text == " »" and not els[6].clickable
        assert els[9].text in ("Co-authored by", "Written by") and els[11].clickable
        assert any(e.text.startswith("Last Updated: ") and e.tag == "button" for e in els)


def test_category_and_author_tops(pool, sim):
    roots = [els for els, _ in pool["category"] if els[2].get("class") == "category banner title"]
    sim_roots = [els for els in sim["category"] if els[2].get("class") == "category banner title"]
    subs = [els for els, _ in pool["category"] if els[2].get("class") == "header container"
            and els[3].get("class") == "header top watch"]
    sim_subs = [els for els in sim["category"] if len(els) > 3 and els[3].get("class") == "header top watch"]
    assert roots and subs and sim_subs
    for els in sim_roots:
        assert _top(els, 8) == _top(roots[0], 8)
    for els in sim_subs:
        assert _top(els, 8) == _top(subs[0], 8) and els[5].text == "&lt;"
    author = next(els for els, _ in pool["author"] if "+ Follow" in [e.text for e in els])
    for els in (s for s in sim["author"] if "+ Follow" in [e.text for e in s]):
        assert _top(els, 11) == _top(author, 11)


ROLE_AT_ID = {  # kind, action → what the element with that id is on every screen of the kind (pools and sim)
    ("home", "INPUT(2"): lambda e: e.get("class") == "search button",
    ("results", "CLICK(3)"): lambda e: e.text.startswith("How to") or e.tag == "div",
    ("article", "CLICK(4)"): lambda e: e.text == "trust wikiHow",
    ("article", "CLICK(5)"): lambda e: e.text.isupper(),
    ("article", "CLICK(7)"): lambda e: e.text.isupper(),
}


def test_every_pool_action_is_valid_on_the_sim_screen_of_its_kind(pool, sim):
    env = WikiHowEnv()
    for kind, entries in pool.items():
        for els, action in entries:
            parsed = parse_action(action)
            assert parsed is not None, action
            for (k, prefix), role in ROLE_AT_ID.items():
                if k != kind or not action.startswith(prefix):
                    continue
                assert role(els[parsed.element]), (action, els[parsed.element].line)
                tops = [x for x in sim[kind] if kind != "article" or x[2].get("alt") == "More options"]
                assert tops
                for sim_els in tops:
                    assert role(sim_els[parsed.element]), (kind, action, sim_els[parsed.element].line)
    # validity in the environment itself: replay each pool action on a fresh screen of its kind
    obs, info = env.reset(options={"split": "test", "task_index": 0})
    for _els, action in pool["home"]:
        env.reset(options={"split": "test", "task_index": 0})
        assert env.step(action)[4]["valid"], action
    for kind, entries in pool.items():
        for _els, action in entries:
            env.reset(options={"split": "test", "task_index": 1})
            while env.page_type != kind:
                _o, _r, term, trunc, info = env.step(oracle_action(env))
                if term or trunc:
                    break
            if env.page_type == kind and not env._over:
                parsed = parse_action(action)
                n = len(env.app.elements())  # type: ignore[union-attr]
                if parsed and parsed.kind in ("CLICK", "INPUT") and parsed.element >= n:
                    continue
                assert env.step(action)[4]["valid"], (kind, action)
