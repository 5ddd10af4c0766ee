"""Answer checking and the extractive answerer of DocumentQA-v0 (no model, no I/O).

Correctness (:func:`is_correct`), documented because the reward depends on it:
both texts are normalised (:func:`normalize`, SQuAD's normalisation except that
punctuation becomes a space: lower case, every character that is not a letter
or digit → space, the articles a / an / the dropped, whitespace collapsed);
the answer is correct when

* the normalised gold answer occurs in the normalised answer on word
  boundaries and the answer has at most :data:`MAX_ANSWER_WORDS` (60) words —
  a sentence that states the fact counts, pasting a whole passage does not; or
* the token F1 (:func:`token_f1`, SQuAD's bag-of-words F1 over normalised
  words) is at least :data:`MIN_F1` (0.5).

:func:`extractive_answer` is the answerer every policy shares in the
benchmarks: the sentence of the passage with the most question words (no
model), so that success measures the *planner* (what to read, when to answer).
"""

from __future__ import annotations

import re
from collections import Counter

MAX_ANSWER_WORDS = 60
MIN_F1 = 0.5

_NON_WORD = re.compile(r"[^0-9a-z]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`*(\"'])|\n\s*\n")
_STOP = frozenset(
    "a an and are as at be by can do does for from how i if in is it its my of on or the that this to "
    "what when which who why will with you your".split())

__all__ = ["MAX_ANSWER_WORDS", "MIN_F1", "extractive_answer", "is_correct", "normalize", "sentences",
           "token_f1"]


_ARTICLES = frozenset({"a", "an", "the"})


def normalize(text: str) -> str:
    """Lower case, non-alphanumerics → space, articles dropped, whitespace collapsed
    (``"The os.path.join()"`` → ``"os path join"``)."""
    return " ".join(w for w in _NON_WORD.sub(" ", text.lower()).split() if w not in _ARTICLES)


def token_f1(answer: str, gold: str) -> float:
    """Bag-of-words F1 in [0, 1] between the normalised answer and gold answer (0 when either is empty)."""
    a, g = normalize(answer).split(), normalize(gold).split()
    common = sum((Counter(a) & Counter(g)).values())
    if not a or not g or common == 0:
        return 0.0
    precision, recall = common / len(a), common / len(g)
    return 2 * precision * recall / (precision + recall)


def is_correct(answer: str | None, gold: str) -> bool:
    """Whether ``answer`` answers ``gold`` (module docstring: containment within 60 words, or F1 ≥ 0.5)."""
    if not answer or not gold:
        return False
    a, g = normalize(answer), normalize(gold)
    if not g:
        return False
    if f" {g} " in f" {a} " and len(a.split()) <= MAX_ANSWER_WORDS:
        return True
    return token_f1(answer, gold) >= MIN_F1


def sentences(passage: str) -> list[str]:
    """The passage split into sentences (and paragraphs), whitespace collapsed, empty ones dropped."""
    return [" ".join(s.split()) for s in _SENTENCE_END.split(passage) if s and s.strip()]


def _words(text: str) -> set[str]:
    return {w for w in normalize(text).split() if w not in _STOP and len(w) > 1}


def extractive_answer(question: str, passage: str, max_words: int = MAX_ANSWER_WORDS) -> str:
    """The passage's sentence sharing the most content words with the question (earliest on a tie),
    cut to ``max_words`` words; ``""`` for an empty passage."""
    found = sentences(passage or "")
    if not found:
        return ""
    q = _words(question)
    best = max(range(len(found)), key=lambda i: (len(q & _words(found[i])), -i))
    return " ".join(found[best].split()[:max_words])
