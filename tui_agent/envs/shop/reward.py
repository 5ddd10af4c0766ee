"""WebShop's purchase reward, for the generated shop.

Source: princeton-nlp/WebShop ``web_agent_site/engine/goal.py`` — ``get_reward``,
``get_type_reward``, ``get_attribute_reward``, ``get_option_reward`` — and
``engine/normalize.py`` (``normalize_color``), as in the zdy023/WebShop fork
that the REMEMBERER code ran. For a purchased product at price ``p`` with
chosen option values, and a goal with attributes ``U_att``, options ``U_opt``
and price limit ``u_price``::

    reward = r_type * (|matched attributes| + |matched options| + [p <= u_price])
                    / (|U_att| + |U_opt| + 1)

so ``reward`` is in [0, 1]; an episode is a success iff reward == 1.0.
``tests/test_conformance_webshop_reward.py`` checks this module against 800
rewards computed by WebShop's own code (all match to 1e-9).

* **Fuzzy score**: thefuzz's ``token_set_ratio`` (WebShop's own dependency:
  lower-cased, punctuation stripped, rounded to an integer), matched if > 85.
* **Attributes**: a goal attribute matches if some product attribute scores
  > 85, or else if it is a substring of the lower-cased title, features
  (WebShop's "BulletPoints") or description.
* **Options**: both sides go through ``normalize_color`` (the first of
  WebShop's colour words found in the value, else the value); each goal option
  value counts once if any chosen value scores > 85 against it — regardless of
  option group, as WebShop does (so "pack of 4" matches "pack of 1").
  ``strict_options=True`` is our stricter variant, **not WebShop's**, off by
  default: it compares per group and needs exact values in the groups of
  ``STRICT_OPTION_GROUPS`` ("size", "pack").
* **Type** ``r_type``: ``title_score`` = share of the goal product's title
  nouns (a list, duplicates counted as WebShop does) found among the bought
  product's; ``match`` = same query, or >= 2 shared category-path levels, or
  ``title_score > 0.2``; ``r_type`` = 1 if ``match`` else 0.5, then 0.1 if
  ``title_score < 0.1`` and 0 if ``title_score == 0``. *Differs in the noun
  source only*: WebShop tags nouns with spaCy; our titles are generated from a
  product-type phrase, whose content words are the nouns (:func:`type_nouns`)
  — the conformance cases were computed with exactly these lists. A product
  or goal dict may carry its own list (``title_nouns`` / ``name_nouns``).
* **Price**: ``r_price = price <= price_upper``.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from thefuzz import fuzz

FUZZY_THRESHOLD = 85
STRICT_OPTION_GROUPS = ("size", "pack")
PRICE_RANGE = [10.0 * i for i in range(1, 100)]
_STOPWORDS = {"a", "an", "and", "for", "in", "of", "the", "to", "with", "s"}

# WebShop web_agent_site/engine/normalize.py COLOR_SET, in its order (the first hit wins).
COLOR_SET = (
    'alabaster', 'apricot', 'aqua', 'ash', 'asphalt', 'azure',
    'banana', 'beige', 'black', 'blue', 'blush', 'bordeaux', 'bronze',
    'brown', 'burgundy', 'camel', 'camo', 'caramel', 'champagne',
    'charcoal', 'cheetah', 'chestnut', 'chocolate', 'christmas', 'coffee',
    'cognac', 'copper', 'coral', 'cranberry', 'cream', 'crystal', 'dark',
    'denim', 'eggplant', 'elephant', 'espresso', 'fuchsia', 'gold', 'granite',
    'grape', 'graphite', 'grass', 'gray', 'green', 'grey', 'heather', 'indigo',
    'ivory', 'ivy', 'khaki', 'lavender', 'lemon', 'leopard', 'light', 'lilac',
    'lime', 'magenta', 'maroon', 'mauve', 'merlot', 'midnight', 'mint', 'mocha',
    'multicolor', 'mushroom', 'mustard', 'natural', 'navy', 'nude', 'olive',
    'orange', 'peach', 'pewter', 'pink', 'plum', 'purple', 'rainbow', 'red',
    'rose', 'royal', 'rust', 'sand', 'sapphire', 'seashell', 'silver', 'skull',
    'slate', 'steel', 'stone', 'stonewash', 'sunflower', 'tan', 'taupe', 'teal',
    'tiger', 'turquoise', 'violet', 'walnut', 'wheat', 'white', 'wine', 'yellow',
)

__all__ = [
    "FUZZY_THRESHOLD", "PRICE_RANGE", "STRICT_OPTION_GROUPS", "COLOR_SET", "fuzzy_score",
    "fuzzy_match", "normalize_color", "type_nouns", "title_nouns", "type_reward",
    "attribute_reward", "option_reward", "get_reward", "price_upper_for",
]


def fuzzy_score(a: str, b: str) -> int:
    """thefuzz ``token_set_ratio``: an integer in [0, 100] (case and punctuation ignored)."""
    return fuzz.token_set_ratio(a, b)


def fuzzy_match(a: str, b: str) -> bool:
    """True iff :func:`fuzzy_score` > 85 (WebShop's threshold)."""
    return fuzzy_score(a, b) > FUZZY_THRESHOLD


def normalize_color(value: str) -> str:
    """WebShop's ``normalize_color``: the first ``COLOR_SET`` word inside ``value``, else ``value``."""
    for color in COLOR_SET:
        if color in value:
            return color
    return value


def type_nouns(product_type: str) -> list[str]:
    """The title nouns of a generated product: content tokens of its product-type phrase, sorted."""
    return sorted({t for t in re.findall(r"[a-z0-9]+", product_type.lower()) if t not in _STOPWORDS})


def title_nouns(record: Mapping[str, Any], field: str) -> list[str]:
    """``record[field]`` if given (a noun list), else :func:`type_nouns` of its ``product_type``."""
    nouns = record.get(field)
    return list(nouns) if nouns is not None else type_nouns(record["product_type"])


def type_reward(product: Mapping[str, Any], goal: Mapping[str, Any]) -> dict[str, Any]:
    """WebShop's ``get_type_reward``: ``r_type`` in {0, 0.1, 0.5, 1} and its parts."""
    query_match = product["query"] == goal["query"]
    category_match = len(set(product["category_path"]) & set(goal["product_category"])) >= 2
    bought = title_nouns(product, "title_nouns")
    desired = title_nouns(goal, "name_nouns")
    n_intersect = len(set(bought) & set(desired))
    title_score = n_intersect / len(desired) if desired else 0.2
    r_type = 1.0
    if not (query_match or category_match or title_score > 0.2):
        r_type = 0.5
    if title_score < 0.1:
        r_type = 0.1
    if title_score == 0.0:
        r_type = 0.0
    return {"r_type": r_type, "query_match": query_match,
            "category_match": category_match, "title_score": title_score}


def attribute_reward(product: Mapping[str, Any], goal_attributes: list[str]) -> tuple[float, int]:
    """WebShop's ``get_attribute_reward``: (share of goal attributes matched, number matched).

    Raises ZeroDivisionError for an empty ``goal_attributes``, as WebShop does
    (every goal has at least one attribute).
    """
    title = product["title"].lower()
    features = " ".join(product["features"]).lower()
    description = product["description"].lower()
    n = 0
    for g_attr in goal_attributes:
        if any(fuzzy_match(p_attr, g_attr) for p_attr in product["attributes"]):
            n += 1
        elif g_attr in title or g_attr in features or g_attr in description:
            n += 1
    return n / len(goal_attributes), n


def option_reward(goal_options: Mapping[str, str] | Iterable[str], chosen_options: Mapping[str, str],
                  strict_options: bool = False) -> tuple[float | None, int]:
    """(share of goal options matched, number matched); share is None without goal options.

    ``goal_options`` is {group: value} (the catalog's format) or a list of
    values (WebShop's human-goal format). As WebShop's ``get_option_reward``
    unless ``strict_options`` (see the module docstring).
    """
    if strict_options and isinstance(goal_options, Mapping):
        return _strict_option_reward(goal_options, chosen_options)
    wanted = list(goal_options.values()) if isinstance(goal_options, Mapping) else list(goal_options)
    wanted = [normalize_color(normalize_color(v)) for v in wanted]
    chosen = [normalize_color(normalize_color(v)) for v in chosen_options.values()]
    n = sum(any(fuzzy_match(c, w) for c in chosen) for w in wanted)
    return (n / len(wanted) if wanted else None), n


def _strict_option_reward(goal_options: Mapping[str, str],
                          chosen_options: Mapping[str, str]) -> tuple[float | None, int]:
    n = 0
    for group, wanted in goal_options.items():
        chosen = chosen_options.get(group)
        if chosen is None:
            continue
        if group.lower() in STRICT_OPTION_GROUPS:
            n += chosen.strip().lower() == wanted.strip().lower()
        else:
            n += fuzzy_match(normalize_color(chosen), normalize_color(wanted))
    return (n / len(goal_options) if goal_options else None), n


def get_reward(product: Mapping[str, Any], goal: Mapping[str, Any], price: float,
               options: Mapping[str, str], verbose: bool = False, strict_options: bool = False):
    """WebShop's reward in [0, 1] for buying ``product`` at ``price`` (dollars) with ``options``.

    ``options`` is {group: chosen value}. ``goal`` needs ``attributes``
    (list[str]), ``options`` ({group: value} or a list of values),
    ``price_upper`` (dollars), ``query``, ``product_category`` (category path)
    and ``product_type`` or ``name_nouns``; ``product`` needs ``title``,
    ``features``, ``description``, ``attributes``, ``query``,
    ``category_path`` and ``product_type`` or ``title_nouns``. With
    ``verbose=True`` returns ``(reward, parts)``; parts has r_type, r_att,
    r_option (None without goal options), r_price, the match counts and the
    type details. ``strict_options`` selects our stricter option rule (not
    WebShop's; off by default).
    """
    t = type_reward(product, goal)
    r_price = price <= goal["price_upper"]
    r_att, n_att = attribute_reward(product, goal["attributes"])
    r_opt, n_opt = option_reward(goal["options"], options, strict_options)
    denom = len(goal["attributes"]) + len(goal["options"]) + 1
    reward = (n_att + n_opt + r_price) / denom * t["r_type"]
    if not verbose:
        return reward
    return reward, {**t, "r_att": r_att, "r_option": r_opt, "r_price": bool(r_price),
                    "num_attr_matches": n_att, "num_option_matches": n_opt,
                    "denominator": denom}


def price_upper_for(price: float, rng) -> float | None:
    """WebShop's price limit: the larger of two of the next four multiples of 10 above ``price``.

    ``rng`` is a ``random.Random``. Returns None when fewer than two multiples
    of 10 below 1000 exceed the price (WebShop then sets no limit).
    """
    price_range = [p for p in PRICE_RANGE if p > price][:4]
    if len(price_range) < 2:
        return None
    _, upper = sorted(rng.sample(price_range, 2))
    return upper
