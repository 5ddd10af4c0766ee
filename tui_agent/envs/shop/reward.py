"""WebShop's purchase reward, for the generated shop.

Source: princeton-nlp/WebShop, ``web_agent_site/engine/goal.py``
(``get_reward``, ``get_type_reward``, ``get_attribute_reward``,
``get_option_reward``). For a purchased product with price ``p`` and chosen
options, and a goal with attributes ``U_att``, options ``U_opt`` and price limit
``u_price``::

    reward = r_type * (|matched attributes| + |matched options| + [p <= u_price])
                    / (|U_att| + |U_opt| + 1)

so ``reward`` is in [0, 1]; an episode is a success iff reward == 1.0.

* **Attributes** (as WebShop): a goal attribute matches if some product
  attribute has ``token_set_ratio > 85`` (rapidfuzz, with ``default_process``
  so that case and punctuation are ignored as in ``thefuzz``), or else if it
  occurs as a substring of the lower-cased title, features (WebShop's
  "BulletPoints") or description.
* **Options**: a goal option ``(group, value)`` matches if the buyer chose a
  value in that group that equals it exactly (groups "size", as WebShop's
  ``EXACT_MATCH_OPTS``, and "pack": "pack of 2" vs "pack of 3" scores 87.5)
  or fuzzily (``token_set_ratio > 85``, other groups).
  *Differs from WebShop*: WebShop compares each chosen value with every goal
  value regardless of group and also counts a chosen value that merely
  appears in the title/features/description (even an unwanted one); we match
  per group, count each goal option at most once and drop that fallback.
  WebShop's colour normalisation is not needed: our colours are canonical.
* **Type** ``r_type`` (as WebShop's ``get_type_reward``): ``title_score`` =
  share of the goal product's title nouns found among the bought product's
  title nouns; ``match`` = same query, or >= 2 shared category-path levels, or
  ``title_score > 0.2``. ``r_type`` = 1 if ``match`` else 0.5; then 0.1 if
  ``title_score < 0.1``, and 0 if ``title_score == 0``. *Differs*: WebShop
  finds the nouns with spaCy's POS tagger; our titles are generated, so a
  title's nouns are the tokens of the product-type phrase it was generated
  from (``product["product_type"]``, e.g. "clip-in hair extension" ->
  {clip, hair, extension}), which needs no language model.
* **Price** as WebShop: ``r_price = price <= price_upper``.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

FUZZY_THRESHOLD = 85
EXACT_MATCH_OPTS = ("size", "pack")
PRICE_RANGE = [10.0 * i for i in range(1, 100)]
_STOPWORDS = {"a", "an", "and", "for", "in", "of", "the", "to", "with", "s"}

__all__ = [
    "FUZZY_THRESHOLD", "PRICE_RANGE", "fuzzy_match", "type_nouns", "product_text",
    "type_reward", "attribute_reward", "option_reward", "get_reward", "price_upper_for",
]


def fuzzy_match(a: str, b: str) -> bool:
    """True iff ``token_set_ratio(a, b) > 85`` after lower-casing and stripping punctuation."""
    return fuzz.token_set_ratio(a, b, processor=default_process) > FUZZY_THRESHOLD


def type_nouns(product_type: str) -> set[str]:
    """The 'title nouns' of a product: content tokens of its product-type phrase."""
    return {t for t in re.findall(r"[a-z0-9]+", product_type.lower()) if t not in _STOPWORDS}


def product_text(product: Mapping[str, Any]) -> str:
    """Lower-cased title + features + description: where WebShop looks attributes up."""
    return " ".join([product["title"], " ".join(product["features"]),
                     product["description"]]).lower()


def type_reward(product: Mapping[str, Any], goal: Mapping[str, Any]) -> dict[str, Any]:
    """``r_type`` in {0, 0.1, 0.5, 1} and its parts (query/category match, title score)."""
    query_match = product["query"] == goal["query"]
    category_match = len(set(product["category_path"]) & set(goal["product_category"])) >= 2
    desired = type_nouns(goal["product_type"])
    bought = type_nouns(product["product_type"])
    title_score = len(desired & bought) / len(desired) if desired else 0.2
    r_type = 1.0 if (query_match or category_match or title_score > 0.2) else 0.5
    if title_score < 0.1:
        r_type = 0.1
    if title_score == 0.0:
        r_type = 0.0
    return {"r_type": r_type, "query_match": query_match,
            "category_match": category_match, "title_score": title_score}


def attribute_reward(product: Mapping[str, Any], goal_attributes: list[str]) -> tuple[float, int]:
    """(share of goal attributes the product has, number matched)."""
    text = product_text(product)
    n = 0
    for g_attr in goal_attributes:
        if any(fuzzy_match(p_attr, g_attr) for p_attr in product["attributes"]):
            n += 1
        elif g_attr.lower() in text:
            n += 1
    return (n / len(goal_attributes) if goal_attributes else 1.0), n


def option_reward(goal_options: Mapping[str, str],
                  chosen_options: Mapping[str, str]) -> tuple[float | None, int]:
    """(share of goal options chosen, number matched); share is None without goal options."""
    n = 0
    for group, wanted in goal_options.items():
        chosen = chosen_options.get(group)
        if chosen is None:
            continue
        if group.lower() in EXACT_MATCH_OPTS:
            n += chosen.strip().lower() == wanted.strip().lower()
        else:
            n += fuzzy_match(wanted, chosen)
    return (n / len(goal_options) if goal_options else None), n


def get_reward(product: Mapping[str, Any], goal: Mapping[str, Any], price: float,
               options: Mapping[str, str], verbose: bool = False):
    """Reward in [0, 1] for buying ``product`` at ``price`` with ``options`` ({group: value}).

    ``goal`` needs ``attributes`` (list[str]), ``options`` ({group: value}),
    ``price_upper`` (float), ``product_type``, ``query`` and
    ``product_category`` (category path, list[str]). With ``verbose=True``
    returns ``(reward, parts)`` where parts has r_type, r_att, r_option,
    r_price, the match counts and the type details.
    """
    t = type_reward(product, goal)
    r_price = price <= goal["price_upper"]
    r_att, n_att = attribute_reward(product, goal["attributes"])
    r_opt, n_opt = option_reward(goal["options"], options)
    denom = len(goal["attributes"]) + len(goal["options"]) + 1
    reward = t["r_type"] * (n_att + n_opt + int(r_price)) / denom
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
