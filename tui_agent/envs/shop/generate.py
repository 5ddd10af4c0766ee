"""Deterministic generator of the shop catalog and its goals.

Run ``python -m tui_agent.envs.shop.generate`` to rewrite
``data/shop_catalog.json.gz``; the tests check that a fresh build hashes to
the shipped file. Only ``random.Random(seed)`` (``random``, ``randint``,
``choice``, ``sample``, ``shuffle``, all stable across CPython 3 versions)
and sorted containers are used, so the output does not depend on the hash
seed or the platform.

Output (canonical JSON, gzip with mtime 0)::

    {"version": 2, "seed": int,
     "products": [{"asin", "title", "product_type", "query", "category",
                   "category_path": [top, sub, leaf], "price", "brand",
                   "attributes": [..], "options": {group: [values]},
                   "description", "features": [..], "reviews": [{"title",
                   "score", "body"}], "rating", "price_range"}, ...],
     "goals": [{"id", "split", "asin", "instruction", "attributes": [..],
                "options": {group: value}, "price_upper", "product_type",
                "query", "category", "product_category", "name"}, ...],
     "splits": {"train": [goal ids], "eval": [...], "test": [...]}}

Goals follow WebShop's synthetic goals (princeton-nlp/WebShop,
``web_agent_site/engine/goal.py``: ``get_synthetic_goals``): one product,
some of its attributes, one value of some of its option groups, and a price
limit from ``price_upper_for``. The generator asserts that each goal's own
product scores reward 1.0 and that no product "accidentally" matches an
attribute of its pool that it does not have.

``price_range`` is ``[low, high]`` (dollars, ``low <= price <= high``) for
about 40 % of products and ``null`` otherwise: WebShop lists such products as
"$low to $high" and charges one hidden price within the range (``price``,
which the reward uses). It is drawn from its own ``random.Random`` per ASIN,
so adding it changed no other field of the catalog.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import string
import sys
from pathlib import Path

from . import vocab
from .reward import (STRICT_OPTION_GROUPS, attribute_reward, fuzzy_match, get_reward,
                     price_upper_for)

SEED = 20240519
PRODUCTS_PER_TYPE = 32
SPLIT_SIZES = {"train": 100, "test": 200}  # "eval" gets the rest
DATA_PATH = Path(__file__).parent / "data" / "shop_catalog.json.gz"


def _title(text: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in text.split(" "))


def _join_and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _asin(rng: random.Random, used: set[str]) -> str:
    alphabet = string.ascii_uppercase + string.digits
    while True:
        asin = "B0" + rng.choice(string.digits) + "".join(rng.choice(alphabet) for _ in range(7))
        if asin not in used:
            used.add(asin)
            return asin


def _check_pool(pool: list[str], where: str) -> None:
    for i, a in enumerate(pool):
        for b in pool[i + 1:]:
            if fuzzy_match(a, b) or a in b or b in a:
                raise ValueError(f"{where}: attributes {a!r} and {b!r} are confusable")


def _check_options(options: dict[str, list[str]], where: str) -> None:
    seen: list[str] = []
    for group, values in options.items():
        for v in values:
            if v in vocab.BUTTON_NAMES or v in seen or "[" in v or "]" in v:
                raise ValueError(f"{where}: bad option value {v!r}")
            seen.append(v)
        if group not in STRICT_OPTION_GROUPS:
            for i, a in enumerate(values):
                for b in values[i + 1:]:
                    if fuzzy_match(a, b):
                        raise ValueError(f"{where}: option values {a!r}, {b!r} confusable")


def _kind(attr: str) -> str:
    """"adj" ("non slip"), "noun" ("carrying strap") or "bare" ("for dry hair", "with pockets")."""
    if attr.startswith(("for ", "with ", "made in ")):
        return "bare"
    return "noun" if attr in vocab.NOUN_ATTRS else "adj"


def _claim(unit: str, attr: str) -> str:
    """A sentence saying the product has ``attr`` and containing ``attr`` verbatim."""
    this, be, comes = ("these", "are", "come") if _is_plural(unit) else ("this", "is", "comes")
    kind = _kind(attr)
    if kind == "noun":
        return f"{this} {unit} {comes} with {attr}"
    if kind == "bare" and attr.startswith("with "):
        return f"{this} {unit} {comes} {attr}"
    return f"{this} {unit} {be} {attr}"


def _describe(unit: str, attrs: list[str]) -> str:
    if not attrs:
        return ""
    this, be, comes = ("These", "are", "come") if _is_plural(unit) else ("This", "is", "comes")
    is_list = [a for a in attrs if _kind(a) == "adj" or a.startswith(("for ", "made in "))]
    with_list = [("with " + a) if _kind(a) == "noun" else a for a in attrs if a not in is_list]
    out = []
    if is_list:
        out.append(f" {this} {unit} {be} {_join_and(is_list)}.")
    if with_list:
        out.append(f" {'They' if this == 'These' else 'It'} {comes} {_join_and(with_list)}.")
    return "".join(out)


def _make_product(rng, cat, t, pool, used_asins) -> dict:
    brand = rng.choice(vocab.BRANDS)
    unit = t["name"]
    attrs = rng.sample(pool, rng.choice([2, 3, 3, 4]))
    options = {}
    for group, values in t["options"].items():
        k = rng.randint(min(2, len(values)), min(5, len(values)))
        chosen = set(rng.sample(values, k))
        options[group] = [v for v in values if v in chosen]
    lo, hi = t["price"]
    price = round(int(lo + (hi - lo) * rng.random() ** 1.3) + rng.choice([0.49, 0.95, 0.99]), 2)
    in_title = attrs[:rng.randint(1, min(2, len(attrs)))]
    title = f"{_title(brand)} {_title(unit)} - " + ", ".join(_title(a) for a in in_title)
    if rng.random() < 0.5:
        title += f" for {rng.choice(['Everyday Use', 'Home', 'Gifts', 'Daily Life'])}"
    features = [rng.choice(vocab.ATTRIBUTE_FEATURES).format(ATTR=a.upper(), claim=_claim(unit, a))
                for a in attrs]
    features += [f.format(unit=unit) for f in rng.sample(vocab.GENERIC_FEATURES, 2)]
    rng.shuffle(features)
    described = rng.sample(attrs, rng.randint(0, len(attrs)))
    description = (f"{_title(unit)} by {_title(brand)}. "
                   + rng.choice(vocab.BRAND_TAGLINES).format(brand=_title(brand))
                   + _describe(unit, described))
    reviews = []
    for _ in range(rng.randint(2, 4)):
        score = rng.choice([5, 5, 5, 4, 4, 3, 2, 1])
        claim = _claim(unit, rng.choice(attrs))
        body = rng.choice(vocab.REVIEW_BODIES[score]).format(
            unit=unit, Claim=claim[:1].upper() + claim[1:])
        reviews.append({"title": rng.choice(vocab.REVIEW_TITLES[score]), "score": score,
                        "body": body})
    return {
        "asin": _asin(rng, used_asins), "title": title, "product_type": unit, "query": unit,
        "category": cat["key"], "category_path": [cat["top"], t["sub"], t["leaf"]],
        "price": price, "brand": brand, "attributes": attrs, "options": options,
        "description": description, "features": features, "reviews": reviews,
        "rating": round(sum(r["score"] for r in reviews) / len(reviews), 1),
    }


def _is_plural(name: str) -> bool:
    return name.endswith("s") and not name.endswith("ss")


def _article(name: str) -> str:
    if _is_plural(name):
        return ""
    return "an" if name[:1] in "aeiou" else "a"


def _instruction(rng, name: str, attrs: list[str], options: dict[str, str],
                 price_upper: float | None) -> str:
    bare = [a for a in attrs if _kind(a) == "bare"]
    nouns = [a for a in attrs if _kind(a) == "noun"]
    adjs = [a for a in attrs if _kind(a) == "adj"]
    parts = []
    if adjs:
        verb = "are" if _is_plural(name) else "is"
        parts.append(rng.choice(["which ", "that "]) + verb + " " + _join_and(adjs))
    if nouns:
        parts.append("with " + _join_and(nouns))
    parts += bare
    opts = [vocab.OPTION_PHRASES[g].format(v=v) for g, v in options.items()]
    opener = rng.choice(["i need", "i am looking for", "i want to buy", "i would like",
                         "find me", "i'm looking for"])
    text = f"{opener} {_article(name)} {name} " + ", ".join(parts)
    if opts:
        text += (", " if parts else "") + " and ".join(opts)
    if price_upper is not None:
        text += f", and price lower than {price_upper:.2f} dollars"
    return " ".join(text.split())


def _make_goal(rng, product: dict) -> dict:
    attrs = rng.sample(product["attributes"],
                       min(len(product["attributes"]), rng.choice([1, 2, 2, 2, 3])))
    groups = list(product["options"])
    n_opt = min(len(groups), rng.choice([0, 1, 1, 2, 2]))
    chosen = set(rng.sample(groups, n_opt))
    options = {g: rng.choice(product["options"][g]) for g in groups if g in chosen}
    upper = price_upper_for(product["price"], rng)
    return {
        "asin": product["asin"], "attributes": attrs, "options": options,
        "price_upper": upper if upper is not None else 1_000_000.0,
        "instruction": _instruction(rng, product["product_type"], attrs, options, upper),
        "product_type": product["product_type"], "query": product["query"],
        "category": product["category"], "product_category": product["category_path"],
        "name": product["title"],
    }


def _price_range(seed: int, product: dict) -> list[float] | None:
    """WebShop-style listed price range around the product's hidden price, or None."""
    rng = random.Random(f"{seed}:{product['asin']}:price_range")
    if rng.random() >= 0.4:
        return None
    price = product["price"]
    low = round(price * (1 - 0.35 * rng.random()), 2)
    high = round(price * (1 + 0.6 * rng.random()) + 0.01, 2)
    return [min(low, price), max(high, price)]


def build_catalog(seed: int = SEED) -> dict:
    """Build the whole catalog dict (products, goals, splits) from ``seed``."""
    rng = random.Random(seed)
    used: set[str] = set()
    products, pools = [], {}
    for cat in vocab.CATEGORIES:
        for t in cat["types"]:
            pool = list(dict.fromkeys(cat["attributes"] + t["attributes"]))
            _check_pool(pool, t["name"])
            _check_options(t["options"], t["name"])
            pools[t["name"]] = pool
            for _ in range(PRODUCTS_PER_TYPE):
                products.append(_make_product(rng, cat, t, pool, used))
    for p in products:
        p["price_range"] = _price_range(seed, p)
    for p in products:  # the text must not claim attributes the product lacks
        for a in pools[p["product_type"]]:
            if (a in p["attributes"]) != (attribute_reward(p, [a])[1] == 1):
                raise ValueError(f"{p['asin']}: attribute {a!r} disagrees with its text")
    order = list(range(len(products)))
    rng.shuffle(order)
    goals = []
    for i in order:
        goal = _make_goal(rng, products[i])
        if get_reward(products[i], goal, products[i]["price"], goal["options"]) != 1.0:
            raise ValueError(f"goal for {products[i]['asin']} is not solvable")
        goals.append(goal)
    splits: dict[str, list[int]] = {}
    start = 0
    for name in ("test", "train"):
        splits[name] = list(range(start, start + SPLIT_SIZES[name]))
        start += SPLIT_SIZES[name]
    splits["eval"] = list(range(start, len(goals)))
    for name, ids in splits.items():
        for gid in ids:
            goals[gid] = {"id": gid, "split": name, **goals[gid]}
    return {"version": 2, "seed": seed, "products": products, "goals": goals,
            "splits": {k: splits[k] for k in ("train", "eval", "test")}}


def canonical_json(data: dict) -> bytes:
    """The exact bytes stored (inside gzip) in the data file."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def digest(data: dict) -> str:
    """sha256 hex digest of ``canonical_json(data)``."""
    return hashlib.sha256(canonical_json(data)).hexdigest()


def write_catalog(path: Path = DATA_PATH, seed: int = SEED) -> str:
    """Build and write the gzip JSON catalog; return its digest."""
    data = build_catalog(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = canonical_json(data)
    with open(path, "wb") as f, gzip.GzipFile(filename="", mode="wb", fileobj=f,
                                              compresslevel=9, mtime=0) as gz:
        gz.write(raw)
    return hashlib.sha256(raw).hexdigest()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0]) if argv else DATA_PATH
    print(f"wrote {path} sha256={write_catalog(path)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
