"""Generate the WikiHow corpus file ``data/wikihow_corpus.json.gz`` (deterministic from a seed).

``python -m tui_agent.envs.wikihow.generate`` rewrites the shipped file (seed 0). The corpus: the
category tree of :data:`~tui_agent.envs.wikihow.vocab.TREE`; for each leaf up to
:data:`PER_LEAF` how-to articles "How to <verb> <object>" (title, intro, methods or parts with
steps, tips, references, authors, views, last update, badge); authors with a profession and a bio.
Plain JSON-able dicts; :mod:`~tui_agent.envs.wikihow.corpus` reads them.
"""

from __future__ import annotations

import gzip
import itertools
import json
import random
from pathlib import Path
from typing import Any

from tui_agent.envs.wikihow.vocab import AUTHOR_FIRST, AUTHOR_LAST, CREDENTIALS, LEAVES, PROFESSIONS, TREE

__all__ = ["DATA_PATH", "PER_LEAF", "build_corpus", "slug_of", "write_corpus"]

DATA_PATH = Path(__file__).parent / "data" / "wikihow_corpus.json.gz"
PER_LEAF = 9
N_AUTHORS = 36
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
HEADINGS = ["Getting Ready", "Doing It Step by Step", "Finishing Up", "Avoiding Common Mistakes",
            "Keeping It Up", "Choosing the Right Tools"]
STEPS = ["Gather what you need before you {p}. Having everything at hand makes the job faster and safer.",
         "Read the instructions that came with your supplies. They often explain how to {p} in your case.",
         "Work slowly the first time you {p}. Rushing is the most common reason people get poor results.",
         "Check your progress after each step. If something looks wrong, stop and fix it before going on.",
         "Ask an expert if you are unsure. A professional can show you how to {p} in a few minutes.",
         "Clean up when you are done, and store your tools where you will find them next time.",
         "Practice a few times. The more often you {p}, the easier it gets."]
TIPS = ["If you get stuck, take a break and come back later with fresh eyes.",
        "Keep notes of what worked, so you can repeat it next time.",
        "Watch a video of someone else doing it before you try it yourself.",
        "Be patient: most people need a few tries before they get it right."]
SITES = ["https://www.consumerreports.org", "https://www.nytimes.com/wirecutter", "https://extension.org",
         "https://www.healthline.com", "https://www.investopedia.com", "https://www.bbc.co.uk/food",
         "https://www.popularmechanics.com", "https://www.verywellmind.com"]


def slug_of(phrase: str) -> str:
    """wikiHow's URL slug of a phrase: ``Bypass YouTube's Regional Filter`` → ``Bypass-YouTube%27s-Regional-Filter``."""
    return phrase.replace("'", "%27").replace("(", "%28").replace(")", "%29").replace(" ", "-")


def _authors(rng: random.Random) -> list[dict[str, Any]]:
    names = rng.sample([f"{f} {la}" for f, la in itertools.product(AUTHOR_FIRST, AUTHOR_LAST)], N_AUTHORS)
    out = [{"name": "wikiHow Staff", "profession": "wikiHow Staff Writer", "expert": False,
            "bio": "This article was co-authored by wikiHow Staff. Our trained team of editors and researchers "
                   "validate articles for accuracy and comprehensiveness."}]
    for i, name in enumerate(names):
        credential = CREDENTIALS[i % len(CREDENTIALS)]
        profession = PROFESSIONS[rng.randrange(len(PROFESSIONS))]
        expert = bool(credential) or i % 3 == 0
        out.append({"name": name + credential, "profession": profession, "expert": expert,
                    "bio": f"{name} is a {profession.lower()} with over {rng.randint(5, 25)} years of experience. "
                           f"{name.split()[0]} received a degree from {rng.choice(['Marquette', 'Purdue', 'Rice', 'Tufts'])}"
                           f" University in {rng.randint(1995, 2015)}."})
    return out


def _article(phrase: str, path: list[str], authors: list[dict[str, Any]], rng: random.Random) -> dict[str, Any]:
    lower = phrase[0].lower() + phrase[1:]
    kind = rng.choice(["Method", "Part"])
    n_sections = rng.randint(1, 3)
    sections = [{"heading": f"{kind} {i + 1} {kind} {i + 1} of {n_sections}: {h}",
                 "steps": [s.format(p=lower.lower()) for s in rng.sample(STEPS, rng.randint(2, 4))]}
                for i, h in enumerate(rng.sample(HEADINGS, n_sections))]
    chosen = rng.sample(authors[1:], rng.choice([1, 1, 2])) if rng.random() < 0.9 else [authors[0]]
    expert = any(a["expert"] for a in chosen)
    n_refs = rng.choice([0, 2, 3, 4, 5])
    year = rng.randint(2019, 2022)
    return {
        "slug": slug_of(phrase), "phrase": phrase, "title": f"How to {phrase}", "path": path,
        "authors": [a["name"] for a in chosen], "byline": "Co-authored by" if expert or len(chosen) > 1 else "Written by",
        "updated": f"{rng.choice(MONTHS)} {rng.randint(1, 28)}, {year}",
        "updated_ago": "1 year ago" if year == 2022 else f"{2023 - year} years ago",
        "views": rng.randint(3_000, 600_000), "expert": expert,
        "badge": rng.choice(["Approved", "Approved", "Tested", ""]) if n_refs else rng.choice(["Tested", ""]),
        "intro": f"Want to learn how to {lower.lower()}? It is easier than it looks. This guide walks you through "
                 f"everything you need, from getting ready to the finishing touches, so you can {lower.lower()} "
                 f"with confidence on your first try.",
        "sections": sections, "tips": rng.sample(TIPS, 2),
        "references": [f"{rng.choice(SITES)}/{slug_of(phrase).lower()}-{i + 1}" for i in range(n_refs)],
    }


def build_corpus(seed: int = 0) -> dict[str, Any]:
    """The corpus as JSON-able data: ``{"seed", "categories", "authors", "articles"}``.

    ``categories``: ``{"name", "parent" (None for a root), "children"}`` in tree order; ``articles``: one
    dict per article (slug, phrase, title, path root→leaf, authors, byline, updated, updated_ago, views,
    expert, badge, intro, sections [{heading, steps}], tips, references).
    """
    rng = random.Random(seed)
    authors = _authors(rng)
    categories, articles = [], []
    for root, middles in TREE.items():
        categories.append({"name": root, "parent": None, "children": list(middles)})
        for middle, leaves in middles.items():
            categories.append({"name": middle, "parent": root, "children": list(leaves)})
            for leaf in leaves:
                categories.append({"name": leaf, "parent": middle, "children": []})
                verbs, objects = LEAVES[leaf]
                combos = [f"{v} {o}" for v, o in itertools.product(verbs, objects)]
                firsts = [f"{verbs[i % len(verbs)]} {o}" for i, o in enumerate(objects)]  # every object once
                rest = [c for c in combos if c not in firsts]
                for phrase in firsts + rng.sample(rest, max(0, min(len(rest), PER_LEAF - len(firsts)))):
                    articles.append(_article(phrase, [root, middle, leaf], authors, rng))
    return {"seed": seed, "categories": categories, "authors": authors, "articles": articles}


def write_corpus(path: Path = DATA_PATH, seed: int = 0) -> Path:
    """Write :func:`build_corpus` gzipped (mtime 0, so the file is byte-identical for a seed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps(build_corpus(seed), ensure_ascii=False, sort_keys=True).encode("utf-8")
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write(body)
    return path


if __name__ == "__main__":
    print(write_corpus())
