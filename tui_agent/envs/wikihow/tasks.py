"""WikiHow tasks as Mobile-Env defines them: an instruction of 2–4 steps, a reward for each step done in order.

Mobile-Env's WikiHow task definitions (X-LANCE/Mobile-Env ``examples/template_module_example/taskset/``,
e.g. ``be_a_good_friend_to_a_guy-4.textproto``) chain step events: *search* (the query matches a
keyword of the article's phrase), *article* (the article is open), then one of *about page*,
*reference list*, *category page*, *author page*, and possibly a second *article* reached from the
category or author page. Each step's event gives reward 1 once, after the steps before it; the step
after the last done one is the *step instruction* (``''`` before the search, as in the pools); the
episode ends with the last step. The task texts are the pools' ("Search an article to learn how to
hide gauges.\\nThen, access the article "How to Hide Gauges"").

Kinds (:data:`PATTERNS`): ``article``, ``references``, ``about``, ``category``, ``author_article``,
``category_article`` (the reference's six), and ``bookmark`` (this simulation's extra: the article's
"More options" → Bookmark). Splits: ``test`` (70 tasks, as the reference's test set) and ``train``
(100) over disjoint articles; training sets S0 / S1 = train tasks 0–9 / 10–19 (the reference trains
on one fixed set of 10 tasks).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tui_agent.envs.wikihow.app import Event
from tui_agent.envs.wikihow.corpus import Corpus, keywords, load_corpus

__all__ = ["PATTERNS", "SPLITS", "Step", "Task", "TaskSet", "build_tasks", "load_tasks", "training_set"]

PATTERNS = ("article", "references", "about", "category", "author_article", "category_article", "bookmark")
SPLITS = ("train", "test")
SIZES = {"test": 70, "train": 100}
TRAINING_SETS = {"S0": list(range(10)), "S1": list(range(10, 20))}


@dataclass(frozen=True)
class Step:
    """One step: ``kind`` (search, article, references, about, category, author, bookmark), its ``arg``
    (phrase, slug, category or author name) and its ``instruction`` text."""

    kind: str
    arg: str
    instruction: str

    def done_by(self, event: Event) -> bool:
        """Whether ``event`` completes this step."""
        if self.kind == "search":
            return event.kind == "search" and bool(set(keywords(event.arg)) & set(keywords(self.arg)))
        if self.kind == "about":
            return event.kind == "about"
        return event.kind == self.kind and event.arg == self.arg


@dataclass(frozen=True)
class Task:
    """A task: ``text`` (the pools' command), ``steps``, ``pattern``, ``split`` and ``index`` in it."""

    text: str
    steps: tuple[Step, ...]
    pattern: str
    split: str
    index: int

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "pattern": self.pattern, "split": self.split, "index": self.index,
                "steps": [[s.kind, s.arg] for s in self.steps]}


def _make(corpus: Corpus, a: dict[str, Any], pattern: str, rng: random.Random) -> tuple[list[Step], list[str]] | None:
    title = a["title"]
    steps = [Step("search", a["phrase"], ""), Step("article", a["slug"], f'Access the article "{title}"')]
    lines = [f"Search an article to learn how to {a['phrase'].lower()}.", f'Then, access the article "{title}"']
    if pattern == "references":
        if not a["references"]:
            return None
        steps.append(Step("references", a["slug"], "Check the reference list"))
        lines.append("Then, check the reference list")
    elif pattern == "about":
        steps.append(Step("about", "", "Access the about page to learn why people trust wikihow."))
        lines.append("Then, access the about page to learn why people trust wikihow.")
    elif pattern in ("category", "category_article"):
        name = rng.choice(a["path"][-2:])
        steps.append(Step("category", name, f"Access the page of category {name}"))
        lines.append(f"Then, access the page of category {name}")
        if pattern == "category_article":
            others = [o for o in corpus.in_category(name) if o["slug"] != a["slug"]]
            if not others:
                return None
            b = rng.choice(others)
            steps.append(Step("article", b["slug"], f'Access the article "{b["title"]}"'))
            lines.append(f'Then, access the article "{b["title"]}"')
    elif pattern == "author_article":
        name = a["authors"][0]
        others = [o for o in corpus.by(name) if o["slug"] != a["slug"]]
        if not others:
            return None
        b = rng.choice(others)
        steps += [Step("author", name, f"Check the author page of {name}."),
                  Step("article", b["slug"], f'Access the article "{b["title"]}"')]
        lines += [f"Then, check the author page of {name}.", f'Then, access the article "{b["title"]}"']
    elif pattern == "bookmark":
        steps.append(Step("bookmark", a["slug"], "Bookmark the article"))
        lines.append("Then, bookmark the article")
    return steps, lines


@dataclass(frozen=True)
class TaskSet:
    """The tasks of each split (see the module docstring)."""

    tasks: dict[str, list[Task]]

    def split_size(self, split: str) -> int:
        return len(self._split(split))

    def task(self, split: str, index: int) -> Task:
        """Task ``index`` (0-based) of ``split``.

        Raises:
            ValueError: an unknown split; IndexError: no such task.
        """
        tasks = self._split(split)
        if not 0 <= index < len(tasks):
            raise IndexError(f"task index {index} out of range 0..{len(tasks) - 1} of split {split!r}")
        return tasks[index]

    def _split(self, split: str) -> list[Task]:
        if split not in self.tasks:
            raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
        return self.tasks[split]


@lru_cache(maxsize=4)
def load_tasks(seed: int = 0) -> TaskSet:
    """The task splits over the shipped corpus (cached per seed)."""
    return build_tasks(load_corpus(), seed)


def build_tasks(corpus: Corpus, seed: int = 0) -> TaskSet:
    """The task splits over ``corpus``, deterministic from ``seed``."""
    rng = random.Random(seed)
    articles = list(corpus.articles)
    rng.shuffle(articles)
    out: dict[str, list[Task]] = {}
    pos = 0
    for split in ("test", "train"):
        tasks: list[Task] = []
        while len(tasks) < SIZES[split] and pos < len(articles):
            a = articles[pos]
            pos += 1
            for k in range(len(PATTERNS)):
                pattern = PATTERNS[(len(tasks) + k) % len(PATTERNS)]
                made = _make(corpus, a, pattern, rng)
                if made is not None:
                    tasks.append(Task("\n".join(made[1]), tuple(made[0]), pattern, split, len(tasks)))
                    break
        out[split] = tasks
    return TaskSet(out)


def training_set(name: str) -> list[int]:
    """Train-split task indices of training set ``name`` (S0, S1).

    Raises:
        ValueError: an unknown name.
    """
    try:
        return list(TRAINING_SETS[name.upper()])
    except KeyError:
        raise ValueError(f"unknown training set {name!r}; expected one of {', '.join(TRAINING_SETS)}") from None
