"""Training data out of the experience memory: TRL's conversational SFT and preference (DPO) datasets.

``tui-agent memory export --format sft|dpo FILE`` (issue 25). Both files are JSONL, one example a line,
in TRL's standard *conversational* formats (``datasets.load_dataset("json", data_files=FILE)`` reads
them; TRL's trainers take them as they are):

* **sft** (language modelling, conversational):
  ``{"messages": [<earlier turns>…, {"role": "user", "content": question},
  {"role": "assistant", "content": answer}], "ids": {"answer": id}, "q": Q, "source": source}`` —
  one per corrected or 👍 answer: an experience rated at least once (N ≥ 1) with Q ≥ ``min_q``.
* **dpo** (preference, conversational, explicit prompt):
  ``{"prompt": [<earlier turns>…, {"role": "user", "content": question}],
  "chosen": [{"role": "assistant", "content": good}], "rejected": [{"role": "assistant", "content": bad}],
  "ids": {"chosen": id, "rejected": id}, "q": {"chosen": Q, "rejected": Q}}`` — one per pair of a
  chosen answer (N ≥ 1, Q ≥ ``min_q``: a correction or a 👍 answer) and a rejected answer (N ≥ 1,
  Q ≤ −``min_q``: a 👎 answer) to **the same question**: for ``chat``, the same question text after
  :func:`tui_agent.chat.policy.normalise` (lower-cased words, punctuation dropped: "Who is Quellport's
  mayor?" = "who is quellport's mayor") and the same conversation context; every distinct chosen
  answer is paired with every distinct rejected one; the prompt is the chosen experience's question.

``ids`` (experience ids, for ``tui-agent memory show``), ``q`` and ``source`` are extra columns: TRL
uses only ``messages`` / ``prompt``, ``chosen``, ``rejected`` and keeps other columns out of the model
(its own preference datasets carry extra columns the same way).

**Context.** A chat experience's observation (the last turns, :func:`tui_agent.chat.agent.format_history`)
becomes the earlier user / assistant messages; an observation not in that form (an imported row) is put
before the question as ``Context:\\n…`` in the user message, the way the chat shows exemplars.

**Kinds.** ``chat`` (default). ``shop``, ``docqa`` and ``wikihow`` steps export the same way with one
user message holding the step's record (task, step instruction, page, valid actions) and the action as
the answer; "the same question" is then the same record (all four exactly equal). Their prompts are not
the ones the agents build (those add the action history and exemplars), so they are data for study
rather than for tuning the chat model. ``note`` rows (answers are note ids) are not exported.

**Filters.** ``since``: only experiences *last updated* (asked, rated or corrected) at or after that
time; pairs form among those only. ``min_q`` > 0: the |Q| a rated experience needs to count.
Q of a chat experience is in [−1, 1] (±1 rewards).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any

from tui_agent.chat.agent import parse_history
from tui_agent.chat.policy import normalise
from tui_agent.memory.formats import MemoryFileError
from tui_agent.memory.schema import ExperienceKind
from tui_agent.memory.store import ExperienceStore
from tui_agent.storage.files import UserFileError, write_new

DATASET_FORMATS = ("sft", "dpo")
DATASET_KINDS = (ExperienceKind.CHAT.value, ExperienceKind.SHOP.value, ExperienceKind.DOCQA.value,
                 ExperienceKind.WIKIHOW.value)
DEFAULT_MIN_Q = 0.5
_COLUMNS = ("id", "kind", "task", "observation", "available_actions", "step_instruction", "action", "q", "n",
            "source", "created_at", "updated_at")

# why a row or a group gave no example (the keys of DatasetReport.skipped)
UNRATED = "never rated (N = 0)"
SMALL_Q = "|Q| below --min-q"
OLD = "last updated before --since"
EMPTY = "empty question or answer"
RATED_DOWN = "rated down (a rejected answer: only in dpo)"
DUPLICATE = "same question, context and answer as another example"
NO_REJECTED = "chosen, but no rejected answer to the same question"
NO_CHOSEN = "rejected, but no chosen answer to the same question"
SAME_TEXT = "pair skipped: chosen and rejected say the same words"


@dataclass(frozen=True)
class DatasetReport:
    """What an export wrote: ``examples`` lines (SFT examples or DPO pairs) to ``path``.

    ``rows``: experiences of ``kind`` read; ``used``: rows in at least one example; ``skipped``: rows
    (or pairs, for :data:`SAME_TEXT`) left out, by reason.
    """

    path: str
    format: str
    kind: str
    rows: int
    examples: int
    used: int
    skipped: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        what = "examples" if self.format == "sft" else "pairs"
        text = (f"wrote {self.examples} {self.format} {what} from {self.used} of {self.rows} {self.kind} "
                f"experiences to {self.path}")
        return text + "".join(f"\n  skipped {n}: {reason}" for reason, n in self.skipped.items())


def parse_since(text: str) -> datetime:
    """``--since``: an ISO 8601 date or date-time ("2025-03-01", "2025-03-01T14:30", with or without an
    offset; without one it is local time) as an aware datetime.

    Raises:
        ValueError: not such a date (one line, with an example).
    """
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"--since {text!r} is not a date; use e.g. 2025-03-01 or 2025-03-01T14:30") from None
    if len(text.strip()) == 10:  # a date alone: from its start
        when = datetime.combine(when.date(), time())
    return when if when.tzinfo is not None else when.astimezone()


def read_rows(store: ExperienceStore, kind: str) -> list[dict[str, Any]]:
    """The experiences of ``kind`` (Q and N as rated), oldest first, without vectors."""
    where = "kind = '" + kind.replace("'", "''") + "'"
    table = store.read_arrow(list(_COLUMNS), where=where)
    rows = table.to_pylist()
    rows.sort(key=lambda r: (r["created_at"], r["id"]))
    return rows


def _prompt(row: dict[str, Any]) -> list[dict[str, str]]:
    """The messages before the answer: earlier turns (chat) and the question."""
    if row["kind"] != ExperienceKind.CHAT.value:
        parts = [f"Task: {row['task']}"]
        if row["step_instruction"]:
            parts.append(f"Step: {row['step_instruction']}")
        if row["observation"]:
            parts.append(f"Observation:\n{row['observation']}")
        if row["available_actions"]:
            parts.append(f"Available actions: {row['available_actions']}")
        return [{"role": "user", "content": "\n\n".join(parts)}]
    context = row["observation"] or ""
    turns = parse_history(context)
    if turns is None:
        return [{"role": "user", "content": f"Context:\n{context}\n\n{row['task']}"}]
    return [*turns, {"role": "user", "content": row["task"]}]


def _question_key(row: dict[str, Any]) -> tuple[str, ...]:
    if row["kind"] == ExperienceKind.CHAT.value:
        return (normalise(row["task"]), row["observation"] or "")
    return (row["task"], row["step_instruction"] or "", row["observation"] or "", row["available_actions"] or "")


def _answer_key(text: str) -> str:
    return normalise(text) or text.strip()


def _split(rows: list[dict[str, Any]], since: datetime | None, min_q: float, skipped: Counter
           ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(chosen rows, rejected rows), best first; the rest counted in ``skipped``."""
    chosen, rejected = [], []
    for row in rows:
        if since is not None and row["updated_at"] < since:
            skipped[OLD] += 1
        elif not row["task"].strip() or not row["action"].strip():
            skipped[EMPTY] += 1
        elif int(row["n"]) < 1:
            skipped[UNRATED] += 1
        elif row["q"] >= min_q:
            chosen.append(row)
        elif row["q"] <= -min_q:
            rejected.append(row)
        else:
            skipped[SMALL_Q] += 1
    # corrections first, then the higher |Q|, then the newer
    chosen.sort(key=lambda r: (r["source"] != "correction", -r["q"], -r["updated_at"].timestamp()))
    rejected.sort(key=lambda r: (r["q"], -r["updated_at"].timestamp()))
    return chosen, rejected


def _distinct(rows: list[dict[str, Any]], skipped: Counter, key=lambda r: ()) -> list[dict[str, Any]]:
    seen, out = set(), []
    for row in rows:
        k = (*key(row), _answer_key(row["action"]))
        if k in seen:
            skipped[DUPLICATE] += 1
            continue
        seen.add(k)
        out.append(row)
    return out


def sft_examples(rows: list[dict[str, Any]], *, since: datetime | None = None, min_q: float = DEFAULT_MIN_Q
                 ) -> tuple[list[dict[str, Any]], Counter]:
    """SFT examples (see the module docstring) from experience rows (:func:`read_rows`), in row order,
    and the skipped rows by reason."""
    skipped: Counter = Counter()
    chosen, rejected = _split(rows, since, min_q, skipped)
    skipped[RATED_DOWN] += len(rejected)
    keep = {r["id"] for r in _distinct(chosen, skipped, _question_key)}
    examples = [{"messages": [*_prompt(r), {"role": "assistant", "content": r["action"]}],
                 "ids": {"answer": r["id"]}, "q": float(r["q"]), "source": r["source"]}
                for r in rows if r["id"] in keep]
    return examples, +skipped


def dpo_pairs(rows: list[dict[str, Any]], *, since: datetime | None = None, min_q: float = DEFAULT_MIN_Q
              ) -> tuple[list[dict[str, Any]], Counter]:
    """Preference pairs (see the module docstring) from experience rows (:func:`read_rows`), grouped by
    question in order of first appearance, and the skipped rows (and same-text pairs) by reason."""
    skipped: Counter = Counter()
    chosen, rejected = _split(rows, since, min_q, skipped)
    groups: dict[tuple[str, ...], tuple[list, list]] = defaultdict(lambda: ([], []))
    order = {r["id"]: i for i, r in enumerate(rows)}
    for side, found in ((0, chosen), (1, rejected)):
        for row in found:
            groups[_question_key(row)][side].append(row)
    pairs = []
    for good_rows, bad_rows in sorted(groups.values(), key=lambda g: min(order[r["id"]] for r in g[0] + g[1])):
        if not bad_rows:
            skipped[NO_REJECTED] += len(good_rows)
            continue
        if not good_rows:
            skipped[NO_CHOSEN] += len(bad_rows)
            continue
        good_rows, bad_rows = _distinct(good_rows, skipped), _distinct(bad_rows, skipped)
        for good in good_rows:
            for bad in bad_rows:
                if _answer_key(good["action"]) == _answer_key(bad["action"]):
                    skipped[SAME_TEXT] += 1
                    continue
                pairs.append({"prompt": _prompt(good),
                              "chosen": [{"role": "assistant", "content": good["action"]}],
                              "rejected": [{"role": "assistant", "content": bad["action"]}],
                              "ids": {"chosen": good["id"], "rejected": bad["id"]},
                              "q": {"chosen": float(good["q"]), "rejected": float(bad["q"])}})
    return pairs, +skipped


def export_dataset(store: ExperienceStore, path: str | Path, fmt: str, *, kind: str = ExperienceKind.CHAT.value,
                   since: datetime | None = None, min_q: float = DEFAULT_MIN_Q, overwrite: bool = False
                   ) -> DatasetReport:
    """Write the ``fmt`` ("sft" or "dpo") dataset of ``kind`` experiences to ``path`` (JSONL, atomically).

    Raises:
        MemoryFileError: unknown format or kind, ``min_q`` not > 0, no example to write (the message
            says why; no file is written), ``path`` exists and ``overwrite`` is false, or it cannot be
            written.
    """
    if fmt not in DATASET_FORMATS:
        raise MemoryFileError(f"unknown dataset format {fmt!r}; use one of {', '.join(DATASET_FORMATS)}")
    if kind not in DATASET_KINDS:
        raise MemoryFileError(f"--kind {kind!r} cannot be exported as {fmt}; use one of {', '.join(DATASET_KINDS)}")
    if not min_q > 0:
        raise MemoryFileError(f"--min-q must be above 0, got {min_q}")
    path = Path(path).expanduser()
    rows = read_rows(store, kind)
    make = sft_examples if fmt == "sft" else dpo_pairs
    examples, skipped = make(rows, since=since, min_q=min_q)
    used = len({i for e in examples for i in e["ids"].values()})
    report = DatasetReport(str(path), fmt, kind, len(rows), len(examples), used, dict(skipped))
    if not examples:
        why = "; ".join(f"{n} {reason}" for reason, n in skipped.items()) or f"the memory has no {kind} experiences"
        raise MemoryFileError(f"nothing to export as {fmt}, no file written ({why})")

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            for example in examples:
                fh.write(json.dumps(example, ensure_ascii=False, allow_nan=False) + "\n")

    try:
        write_new(path, write, overwrite=overwrite)
    except UserFileError as exc:
        raise MemoryFileError(str(exc)) from exc
    return report
