"""What a tune trains on and is judged by.

* **Taught examples**: the memory's SFT export (:func:`tui_agent.agents.preferences.sft_examples`:
  corrections and 👍 answers of chat experiences) as conversations the way the chat sends them (the
  chat's system prompt first, :data:`tui_agent.chat.prompt.SYSTEM_PROMPT`).
* **Replay**: the base model's own answers to the general questions of ``data/replay.json`` (40),
  trained alongside so the tune keeps what the model knew (issue 25: 13 of 20 general answers kept
  instead of 8 without it).
* **Contrast questions**: each taught question one edit away (:mod:`tui_agent.tune.contrast`) answered
  "I don't know", so the tune learns the fact and not the question's form.
* **Evaluation set**: ``data/tune_eval.json`` (60 made-up facts with a natural and a far rewording,
  20 general questions, 24 near-miss questions; its ``_about`` says how it was written).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from tui_agent.agents.preferences import DEFAULT_MIN_Q, read_rows, sft_examples
from tui_agent.chat.policy import normalise
from tui_agent.chat.prompt import SYSTEM_PROMPT
from tui_agent.memory.schema import ExperienceKind
from tui_agent.memory.store import ExperienceStore

_STOP = frozenset("""a an the is are was were be been of to in on at for and or my your our their his her its
this that these those it you i we they me us them with by from as what who which when where how do does did
is's are're please again there here than then so not no yes""".split())


@dataclass(frozen=True)
class Fact:
    """A taught question and answer; ``key``: alternatives ("a|b") one of which an answer must contain
    (case-insensitive) to state the fact; ``natural`` / ``far``: rewordings, when known; ``ids``: the
    experiences it came from."""

    question: str
    answer: str
    key: str
    natural: str | None = None
    far: str | None = None
    ids: tuple[str, ...] = ()


def content_key(question: str, answer: str) -> str:
    """A key for an answer without one: the answer's words that are not in the question and not
    common words (up to 3, the longest), joined with "&" (all must be present), or the whole answer."""
    asked = {w.lower() for w in re.findall(r"[\w'.:-]+", question)}
    words = [w.strip(".,!?;:'\"").lower() for w in re.findall(r"[\w'.:-]+", answer)]
    own = [w for w in dict.fromkeys(words) if w and w not in asked and w not in _STOP and (len(w) > 2 or w.isdigit())]
    own.sort(key=len, reverse=True)
    return "&".join(own[:3]) if own else answer.strip().lower()


def _mentions(text: str, part: str) -> bool:
    """Whether lower-cased ``text`` has ``part`` as a whole token: not inside a longer word or number
    ("34" is not in "123456"); a word key may take a plural "s" / "es" ("Tuesday" in "Tuesdays")."""
    part = part.strip().lower()
    if not part:
        return False
    head = r"(?<!\w)" if part[0].isalnum() else ""
    tail = r"(?!\d)" if part[-1].isdigit() else r"(?:e?s)?(?!\w)" if part[-1].isalpha() else ""
    return re.search(head + re.escape(part) + tail, text) is not None


def states(answer: str, key: str) -> bool:
    """Whether ``answer`` states ``key``: "a|b" one of the alternatives, "a&b" all of the parts
    (case-insensitive, each part a whole token: see :func:`_mentions`)."""
    text = answer.lower()
    return any(all(_mentions(text, part) for part in alt.split("&")) for alt in key.split("|"))


def eval_set() -> dict[str, Any]:
    """``data/tune_eval.json`` as a dict (keys ``facts``, ``general``, ``near_miss``)."""
    return json.loads(resources.files("tui_agent.tune").joinpath("data/tune_eval.json").read_text(encoding="utf-8"))


def replay_questions() -> list[str]:
    """The general questions whose base answers are replayed (``data/replay.json``)."""
    text = resources.files("tui_agent.tune").joinpath("data/replay.json").read_text(encoding="utf-8")
    return list(json.loads(text)["questions"])


def chat_conversation(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """``messages`` with the chat's system prompt first (unless they have one)."""
    if messages and messages[0]["role"] == "system":
        return messages
    return [{"role": "system", "content": SYSTEM_PROMPT}, *messages]


def standalone(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """The last question and its answer (and the chat's own system prompt, if it had one), without the
    turns before: a taught fact is learnt on its own question, as the tune's evaluation asks it, and not
    after earlier answers (often the rated-down ones, in a chat that taught several facts)."""
    system = [m for m in messages[:1] if m["role"] == "system"]
    return [*system, *messages[-2:]]


def taught(store: ExperienceStore, min_q: float = DEFAULT_MIN_Q) -> tuple[list[list[dict[str, str]]], list[Fact]]:
    """(training conversations, the facts they teach) from the memory's chat corrections and 👍 answers.

    Each conversation is :func:`standalone`. A fact's key and rewordings come from the evaluation set
    when its question is one of the set's (same words after :func:`tui_agent.chat.policy.normalise`),
    else from :func:`content_key`.
    """
    examples, _skipped = sft_examples(read_rows(store, ExperienceKind.CHAT.value), min_q=min_q)
    known = {normalise(f["question"]): f for f in eval_set()["facts"]}
    conversations, facts = [], []
    for example in examples:
        messages = chat_conversation(standalone(example["messages"]))
        question, answer = messages[-2]["content"], messages[-1]["content"]
        conversations.append(messages)
        entry = known.get(normalise(question))
        ids = tuple(example["ids"].values())
        if entry is not None and normalise(entry["answer"]) == normalise(answer):
            facts.append(Fact(question, answer, entry["key"], entry["natural"], entry["far"], ids))
        else:
            facts.append(Fact(question, answer, content_key(question, answer), ids=ids))
    return conversations, facts


def replay_conversations(answers: dict[str, str]) -> list[list[dict[str, str]]]:
    """Conversations of the base model's ``answers`` (question → answer) to replay."""
    return [chat_conversation([{"role": "user", "content": q}, {"role": "assistant", "content": a}])
            for q, a in answers.items() if a.strip()]


def contrast_conversations(questions: list[str]) -> list[list[dict[str, str]]]:
    """Conversations of contrast ``questions`` (:func:`tui_agent.tune.contrast.contrast_questions`) answered
    with :data:`tui_agent.tune.contrast.CONTRAST_ANSWER`."""
    from tui_agent.tune.contrast import CONTRAST_ANSWER

    return [chat_conversation([{"role": "user", "content": q}, {"role": "assistant", "content": CONTRAST_ANSWER}])
            for q in questions]
