"""Chat recall: when to answer a new question with a remembered, well-rated answer.

Pure numpy + stdlib (no torch, no sentence-transformers): the caller embeds
texts with the bundled all-MiniLM-L6-v2 (:mod:`tui_agent.embedding.encoder`, unit vectors,
so dot products are cosines in [−1, 1]) and hands similarities in.

The problem
-----------
A taught fact (a 👎 + correction stores the corrected answer with Q = 1) should
come back for a paraphrase of its question. The old rule, question cosine
f_question ≥ 0.78, misses paraphrases that share few words (0.38–0.67 on our
dev set) and *accepts* questions of the same form about another subject
("What is the Wi-Fi password for staff?" vs the taught "… for guests?": 0.85).
MiniLM cosines alone cannot separate the two groups: on the dev split hard
negatives reach 0.85 while paraphrases go down to 0.38, and no threshold on
f_question, f_answer, f(question + answer), their max or any weighted mean
gives more than 9 % recall at ≤ 5 % false recall (``benchmarks/chat_recall.py``).

The rule (:func:`choose_recall`)
--------------------------------
The extra signal is **what is new** in the question. ``novel_words`` are the
new question's content words (stop words removed, light stemming) that occur
in neither the stored question nor the stored answer; ``f_novel`` is the
cosine of those words, embedded as one short text, with the stored question
or the stored answer, whichever is higher. A question of the same form about
another subject has one novel word that is unrelated to the fact ("staff":
0.10; hard negatives reach at most 0.36 on dev, 0.42 on test), while a reworded question's novel
words still describe the fact ("visitors wireless network": 0.55). A
*substitution* is a question that adds a novel word and drops one of the
stored question's content words.

A candidate (one remembered question → answer) is eligible when Q ≥ ``min_q``
and one of:

A. **near-identical**: f_question ≥ ``near_identical`` (0.78) and it is not a
   substitution (e.g. "Which city is the capital of Zorbania?" — only adds "city");
A′. **near-identical substitution**: f_question ≥ ``substitution_question``
   (0.88) and f_novel ≥ ``substitution_novel`` (0.25) ("How many moons orbit
   Vextor?" vs "… does the planet Vextor have?": 0.90 / 0.32);
B. **reworded**: the question has novel words, f_question ≥
   ``reworded_question`` (0.40) and f_novel ≥ ``reworded_novel`` (0.40).

Among eligible candidates the one with the highest estimated value
Q·f_question wins (as before); none eligible → ``None`` (generate).

Measured (``benchmarks/chat_recall.py``, ``tests/data/chat_paraphrases.json``;
thresholds tuned on the dev split only, then the test split evaluated once;
all facts of a split in memory together):

==========================  =========================  ==========================
split (paraphrases / negs)  old rule (f_q ≥ 0.78)      this rule
==========================  =========================  ==========================
dev  (22 / 26, tuned on)    recall 2/22 = 9 %,         recall 11/22 = 50 %,
                            false 3/26 = 12 %          false 0/26 = 0 %
test (48 / 52, run once)    recall 6/48 = 12 %,        recall 19/48 = 40 %,
                            false 8/52 = 15 %          false 4/52 = 8 %
==========================  =========================  ==========================

(wrong-fact recalls: 0 for both rules on both splits.) The 10 facts of
``tests/test_learning.py`` stay 10/10 recalled with 0/10 unrelated questions
answered from memory. The goal of 95 % recall at ≤ 5 % false recall is **not**
reached by MiniLM with this or any rule we tried. See docs/chat_recall.md.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

# Defaults (see the module docstring for the measurements behind them).
NEAR_IDENTICAL = 0.78  # A: f_question for a question that is not a substitution (the old rule's value)
SUBSTITUTION_QUESTION = 0.88  # A′: f_question for a substitution …
SUBSTITUTION_NOVEL = 0.25  # … whose novel words still relate to the fact
REWORDED_QUESTION = 0.40  # B: f_question floor for a reworded question …
REWORDED_NOVEL = 0.40  # … whose novel words describe the fact
MIN_Q = 0.5  # only well-rated answers (more 👍 than 👎, or a correction) are recalled

STOPWORDS = frozenset(
    """a an the is are was were be been being am do does did doing done i i'm i've me my mine we we're us our ours
    you you're your yours he him his she her hers it it's its they them their theirs of to in on at for by with from
    and or but if so as than then too very again just any some all what what's which who who's whom whose when where
    where's how why can could should would will shall may might must there here this that these those get gets got
    have has had need needs up out about into over off onto also not no yes let let's please tell know want""".split()
)
# Words that rephrase without changing the subject: neither a novel word nor a dropped one, so
# "What's my favourite restaurant called?" is no substitution of "What is the name of my favourite
# restaurant?" (issue 20: 7 of 8 natural rewordings missed were blocked by words like these).
LIGHT_WORDS = frozenset(
    """called call named name names still again exactly currently actually remind remember recall say said
    city town runs run one ones thing things usually normally today now kind sort like type go goes
    anymore days""".split()
)
_WORD = re.compile(r"[a-z0-9]+(?:['\-][a-z0-9]+)*")
_SUFFIXES = ("ings", "ing", "ers", "er", "ors", "or", "ed", "es", "s")


def content_words(text: str) -> list[str]:
    """Lower-cased words of ``text`` without stop words (question words, auxiliaries, pronouns…) and
    :data:`LIGHT_WORDS`."""
    return [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS and w not in LIGHT_WORDS]


def stem(word: str) -> str:
    """A crude stem: drop a possessive and one common suffix, keep at most 6 letters.

    "singer"/"sings" → "sing", "invented"/"inventor" → "invent", "Sundays" → "sunday".
    """
    w = re.sub(r"'s?$", "", word.lower())
    for suffix in _SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            break
    return w[:6]


def novel_words(question: str, stored_question: str, stored_answer: str) -> list[str]:
    """Content words of ``question`` whose stem is in neither the stored question nor its answer."""
    known = {stem(w) for w in content_words(f"{stored_question} {stored_answer}")}
    return [w for w in content_words(question) if stem(w) not in known]


def dropped_words(question: str, stored_question: str) -> list[str]:
    """Content words of the stored question whose stem is not in ``question``."""
    have = {stem(w) for w in content_words(question)}
    return [w for w in content_words(stored_question) if stem(w) not in have]


def is_substitution(question: str, stored_question: str, stored_answer: str) -> bool:
    """True when ``question`` adds a novel word *and* drops one of the stored question's words."""
    return bool(novel_words(question, stored_question, stored_answer)) and bool(dropped_words(question, stored_question))


@dataclass
class RecallFeatures:
    """Per-candidate inputs of :func:`choose_recall` (arrays of length n candidates).

    f_question: cosine(new question, stored question) ∈ [−1, 1].
    f_answer: cosine(new question, stored answer) ∈ [−1, 1] (diagnostics; not used by the rule).
    f_novel: max cosine(novel words, stored question | stored answer) ∈ [−1, 1];
        NaN where the question has no novel words.
    substitution: bool, see :func:`is_substitution`.
    """

    f_question: np.ndarray
    f_answer: np.ndarray
    f_novel: np.ndarray
    substitution: np.ndarray


def recall_features(
    question: str,
    question_vec: np.ndarray,
    stored_questions: Sequence[str],
    stored_answers: Sequence[str],
    stored_question_vecs: np.ndarray,
    stored_answer_vecs: np.ndarray,
    encode: Callable[[list[str]], np.ndarray],
    *,
    min_question: float = REWORDED_QUESTION,
) -> RecallFeatures:
    """Compute :class:`RecallFeatures` for n candidates.

    Args:
        question, question_vec: the new question and its unit embedding ``(d,)``.
        stored_questions, stored_answers: the candidates' texts (length n).
        stored_question_vecs, stored_answer_vecs: their unit embeddings ``(n, d)``.
        encode: embeds a list of texts to unit vectors ``(k, d)`` (e.g.
            ``shared_embedder().encode``); called once, only for candidates with
            f_question ≥ ``min_question`` that have novel words (others get NaN,
            which no rule needs below that floor).
    """
    qv = np.asarray(question_vec, dtype=np.float32)
    sq = np.asarray(stored_question_vecs, dtype=np.float32).reshape(len(stored_questions), -1)
    sa = np.asarray(stored_answer_vecs, dtype=np.float32).reshape(len(stored_answers), -1)
    f_question = sq @ qv if len(sq) else np.zeros(0, dtype=np.float32)
    f_answer = sa @ qv if len(sa) else np.zeros(0, dtype=np.float32)
    n = len(stored_questions)
    f_novel = np.full(n, np.nan, dtype=np.float32)
    substitution = np.zeros(n, dtype=bool)
    texts, where = [], []
    for i in range(n):
        novel = novel_words(question, stored_questions[i], stored_answers[i])
        substitution[i] = bool(novel) and bool(dropped_words(question, stored_questions[i]))
        if novel and f_question[i] >= min_question:
            texts.append(" ".join(novel))
            where.append(i)
    if texts:
        vecs = np.asarray(encode(texts), dtype=np.float32)
        for v, i in zip(vecs, where):
            f_novel[i] = max(float(v @ sq[i]), float(v @ sa[i]))
    return RecallFeatures(f_question, f_answer, f_novel, substitution)


def eligible(
    f_question: np.ndarray,
    f_novel: np.ndarray,
    substitution: np.ndarray,
    q: np.ndarray,
    *,
    near_identical: float = NEAR_IDENTICAL,
    substitution_question: float = SUBSTITUTION_QUESTION,
    substitution_novel: float = SUBSTITUTION_NOVEL,
    reworded_question: float = REWORDED_QUESTION,
    reworded_novel: float = REWORDED_NOVEL,
    min_q: float = MIN_Q,
) -> np.ndarray:
    """Boolean mask of candidates that may be recalled (rules A, A′, B of the module docstring, and Q ≥ ``min_q``)."""
    fq = np.asarray(f_question, dtype=np.float64)
    fn = np.asarray(f_novel, dtype=np.float64)
    sub = np.asarray(substitution, dtype=bool)
    has_novel = ~np.isnan(fn)
    fn0 = np.where(has_novel, fn, -math.inf)
    rule_a = (fq >= near_identical) & ~sub
    rule_a2 = (fq >= substitution_question) & (fn0 >= substitution_novel)
    rule_b = has_novel & (fq >= reworded_question) & (fn0 >= reworded_novel)
    return (rule_a | rule_a2 | rule_b) & (np.asarray(q, dtype=np.float64) >= min_q)


def recall_scores(
    f_question: np.ndarray,
    f_novel: np.ndarray,
    substitution: np.ndarray,
    q: np.ndarray,
    **settings: float,
) -> np.ndarray:
    """Estimated value Q·f_question of recalling each candidate; −inf where not eligible.

    ``settings`` are the keyword thresholds of :func:`eligible`.
    """
    mask = eligible(f_question, f_novel, substitution, q, **settings)
    value = np.asarray(q, dtype=np.float64) * np.asarray(f_question, dtype=np.float64)
    return np.where(mask, value, -math.inf)


def choose_recall(
    f_question: np.ndarray,
    f_novel: np.ndarray,
    substitution: np.ndarray,
    q: np.ndarray,
    **settings: float,
) -> int | None:
    """Index of the candidate whose answer to give directly, or ``None`` (then generate).

    Args:
        f_question: cosine(new question, stored question) per candidate.
        f_novel: cosine of the new question's novel words with the stored
            question or answer (the higher); NaN where there are no novel words.
        substitution: per candidate, the question adds a novel word and drops a
            stored-question word (:func:`is_substitution`).
        q: the candidates' Q values in [−1, 1].
        **settings: ``near_identical`` (0.78), ``substitution_question`` (0.88),
            ``substitution_novel`` (0.25), ``reworded_question`` (0.40),
            ``reworded_novel`` (0.40), ``min_q`` (0.5); all in [−1, 1].

    Ties on Q·f_question go to the lower index (pass candidates best-first).
    """
    scores = recall_scores(f_question, f_novel, substitution, q, **settings)
    if scores.size == 0 or not np.isfinite(scores).any():
        return None
    return int(np.argmax(scores))
