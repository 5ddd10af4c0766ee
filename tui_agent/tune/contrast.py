"""Contrast questions: near a taught question, but not answered by its taught answer.

A LoRA trained only on "question → taught answer" also learns the *form*: "Who is my daughter's piano
teacher?" gets the son's teacher (docs/tune.md: 21 of 24 near-miss questions answered with a taught fact).
A tune therefore also trains, for each taught question, questions one edit away from it towards
:data:`CONTRAST_ANSWER`:

* one word swapped for another of its word class (``data/contrast.json``: people, trades, animals,
  things, events, days, groups): "my neighbour's cat" → "my neighbour's hamster";
* a person's possessive put in front of "my" / "our" + noun: "my blood type" → "my cousin's blood type";
* a capitalised name (not the first word) swapped for a made-up one: "mayor of Quellport" → "mayor of Kenmir";
* when none of these applies, a content word swapped for a word of any class.

The word classes share no word with the evaluation set's near-miss questions that their fact does not
have (tests/test_tune.py), so the evaluation stays held out.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from functools import cache
from importlib import resources

__all__ = ["CONTRAST_ANSWER", "DEFAULT_CONTRAST", "contrast_questions", "word_classes"]

CONTRAST_ANSWER = "I don't know: you haven't told me that."
DEFAULT_CONTRAST = 1
"""Contrast questions a taught question in a tune (docs/tune.md measures 0, 1 and 2)."""
_STOP = frozenset("a an the is are was were be been of to in on at for and or my your our their his her its "
                  "this that what who which when where how do does did mine".split())
_TOKENS = re.compile(r"[A-Za-z]+|[^A-Za-z]+")


@cache
def word_classes() -> tuple[dict[str, list[str]], list[str]]:
    """(class name → words, name syllables) from ``data/contrast.json``."""
    data = json.loads(resources.files("tui_agent.tune").joinpath("data/contrast.json").read_text(encoding="utf-8"))
    return dict(data["classes"]), list(data["name_syllables"])


def _edits(question: str, rng: random.Random) -> list[str]:
    classes, syllables = word_classes()
    class_of = {w.lower(): name for name, words in classes.items() for w in words}
    tokens = _TOKENS.findall(question)
    out = []

    def swapped(i: int, word: str) -> str:
        return "".join([*tokens[:i], word, *tokens[i + 1:]])

    for i, token in enumerate(tokens):
        if i == 0 or not token[0].isalpha() or len(token) < 3 or token.lower() in _STOP:
            continue
        name = class_of.get(token.lower())
        if name is not None:
            others = [w for w in classes[name] if w.lower() != token.lower()]
            out += [swapped(i, w.capitalize() if token[0].isupper() else w) for w in rng.sample(others, 2)]
        elif token[0].isupper():
            out += [swapped(i, "".join(rng.choice(syllables) for _ in range(2)).capitalize()) for _ in range(2)]
    for i, token in enumerate(tokens[:-2]):
        if token.lower() in ("my", "our") and tokens[i + 2][:1].isalpha():
            out.append(swapped(i, ("My " if token[0].isupper() else "my ") + rng.choice(classes["person"]) + "'s"))
    if not out:  # no word of a class, no name, no "my": a content word for a word of any class
        common = [w for words in classes.values() for w in words if w.islower()]
        slots = [i for i, t in enumerate(tokens) if i and t[0].isalpha() and len(t) > 2 and t.lower() not in _STOP]
        out += [swapped(i, rng.choice(common)) for i in rng.sample(slots, min(2, len(slots)))]
    return out


def contrast_questions(questions: Sequence[str], per_question: int = 1, seed: int = 0) -> list[str]:
    """Up to ``per_question`` (≥ 0) contrast questions for each of ``questions`` (see the module docstring),
    none equal to a taught question (case-insensitive), deterministic from ``seed``; a question with no
    word to edit gets none."""
    rng = random.Random(seed)
    taught = {q.strip().lower() for q in questions}
    out: list[str] = []
    for question in questions:
        found = [q for q in dict.fromkeys(_edits(question, rng)) if q.strip().lower() not in taught]
        out += rng.sample(found, min(per_question, len(found)))
    return out
