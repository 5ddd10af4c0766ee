"""Import of REMEMBERER history pools (``history-pools/*.yaml`` of OpenDFM/Rememberer).

The reference code saves its experience memory with ``yaml.dump`` of a dict:
each *record* is keyed by a Python tuple, and holds an ``action_dict`` that
maps each action to ``{qvalue, number, reward}``::

    ? !!python/tuple                      # WebShop key:
    - "<page text>"                       #   observation
    - "Instruction: Find me ..."          #   task instruction
    - "back to search\\nnext >\\nb09..."   #   available actions, one a line
    : action_dict:
        ? !!python/tuple                  # action (the ".wq" pools add a reason)
        - click[b08jd14gjf]
        - b08jd14gjf offers ... the instruction.
        : {number: 1, qvalue: 1.0, reward: 0.0}
      other_info: {action_history: [...], last_reward: 0.0, number: 1, total_reward: 0.0}
      id: 1

Each (record, action) becomes one experience row, Q as given (any finite
number: WebShop pools hold 0–1, WikiHow pools 1–4):

* WebShop pools (``*.wq.yaml``; every task starts with ``Instruction:``):
  kind "shop"; task = the instruction without its label, observation = the
  page text, available_actions = the JSON list of the key's clickables.
* WikiHow pools (``*.q.yaml``; key = (screen, task, step instruction)): kind
  "wikihow"; observation = the screen, task = the task text,
  step_instruction = the key's third part, available_actions = "".

Both: action = the action tuple's first item, reason = its second (WebShop:
the reason; WikiHow: the element acted on), Q = ``qvalue``, N = ``number``,
mean_reward = ``reward``, action_history = the JSON list of
``other_info["action_history"]`` pairs, step = its length, source =
"import", and a deterministic id from the key and the action pair, so
importing a pool twice with ``--mode merge`` combines rows and one action
under two reasons stays two rows. Vectors are computed from the task text.

Only the ``!!python/tuple`` tag is understood; the file is read with PyYAML's
safe loader, so no other Python object can be built from it.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from tui_agent.memory.schema import ExperienceKind
from tui_agent.memory.formats import FileMeta, MemoryFileError, RawRows
from tui_agent.memory.safe_yaml import MAX_YAML_BYTES, load_limited

_ID_NAMESPACE = uuid.UUID("6f0c3c52-6a43-4a8e-9a6c-2f1f9a1c0b7e")
INSTRUCTION_LABEL = "Instruction:"
MAX_POOL_ROWS = 200_000
"""Most actions (rows) read from one history pool."""


def _loader() -> type:
    import yaml

    class PoolLoader(yaml.SafeLoader):
        pass

    def construct_tuple(loader: yaml.SafeLoader, node: yaml.Node) -> tuple[Any, ...]:
        return tuple(loader.construct_sequence(node, deep=True))

    PoolLoader.add_constructor("tag:yaml.org,2002:python/tuple", construct_tuple)
    return PoolLoader


def experience_id(task: str, observation: str, action: str, available_actions: str = "", reason: str = "",
                  step_instruction: str = "") -> str:
    """A stable id (32 hex characters) for an imported (task, observation, available actions, action, reason).

    The reason is part of the key, as in the reference (an action taken for two reasons is two
    entries); an empty reason gives the same id as before reasons were keyed. WikiHow's step
    instruction is part of its key.
    """
    parts = [task, observation, action, available_actions] + ([reason] if reason else [])
    parts += [step_instruction] if step_instruction else []
    return uuid.uuid5(_ID_NAMESPACE, json.dumps(parts)).hex


def _task_of(text: str) -> str:
    text = text.strip()
    if text.startswith(INSTRUCTION_LABEL):
        text = text[len(INSTRUCTION_LABEL):].strip()
    return text


def _pair(item: Any) -> list[str]:
    """An action-tuple (or bare action) as ``[action, reason]``."""
    if isinstance(item, (tuple, list)):
        return [str(item[0]) if item else "", str(item[1]) if len(item) > 1 else ""]
    return [str(item), ""]


def _is_webshop(pool: dict[Any, Any]) -> bool:
    return all(isinstance(k, tuple) and len(k) > 1 and isinstance(k[1], str)
               and k[1].strip().startswith(INSTRUCTION_LABEL) for k in pool)


def _number(where: str, stats: dict[str, Any], key: str, whole: bool = False) -> float | int:
    if key not in stats:
        raise MemoryFileError(f"{where}: missing {key}")
    value = stats[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MemoryFileError(f"{where}: {key} must be a number, got {value!r:.40}")
    if whole:
        if isinstance(value, float) and not value.is_integer():
            raise MemoryFileError(f"{where}: {key} must be a whole number, got {value!r}")
        return int(value)
    return float(value)


def read_history_pool(path: str | Path) -> tuple[RawRows, FileMeta]:
    """Rows (without vectors) of a REMEMBERER history-pool YAML file.

    Raises:
        MemoryFileError: not YAML, unsupported tags, or a record without the
            expected fields (the message names the record and action).
    """
    import yaml

    path = Path(path)
    name = path.name
    try:
        if path.stat().st_size > MAX_YAML_BYTES:
            raise MemoryFileError(f"{name}: larger than {MAX_YAML_BYTES // 1024**2} MB; not read")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MemoryFileError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise MemoryFileError(f"{name}: not UTF-8 text (byte {exc.start})") from None
    try:
        pool = load_limited(text, _loader(), name)  # a SafeLoader subclass (tuples only), with size limits
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise MemoryFileError(f"{name}: not a readable history pool{at} ({problem})") from None
    if not isinstance(pool, dict) or not pool:
        raise MemoryFileError(f"{name}: not a REMEMBERER history pool (expected a mapping of records)")
    rows: list[dict[str, Any]] = []
    webshop = _is_webshop(pool)
    for number, (key, record) in enumerate(pool.items(), start=1):
        where = f"{name}: record {number}"
        parts = [key] if isinstance(key, str) else list(key) if isinstance(key, tuple) else None
        if not parts or not all(isinstance(p, str) for p in parts):
            raise MemoryFileError(f"{where}: the key must be a tuple of texts")
        observation = parts[0]
        if webshop:
            task, step_instruction = _task_of(parts[1]), ""
            available = json.dumps(parts[2].splitlines() if len(parts) > 2 else [], ensure_ascii=False)
        else:
            task = parts[1] if len(parts) > 1 else ""
            step_instruction, available = (parts[2] if len(parts) > 2 else ""), ""
        if not isinstance(record, dict) or not isinstance(record.get("action_dict"), dict):
            raise MemoryFileError(f"{where}: no action_dict")
        info = record.get("other_info")
        if not isinstance(info, dict):
            info = {}
        history = info.get("action_history") or []
        history = [_pair(h) for h in history] if isinstance(history, list) else []
        history_json = json.dumps(history, ensure_ascii=False) if history else ""
        for action_key, stats in record["action_dict"].items():
            action, reason = _pair(action_key)
            at = f"{where}, action {action[:40]!r}"
            if not isinstance(stats, dict):
                raise MemoryFileError(f"{at}: expected {{qvalue, number, reward}}")
            rows.append({
                "id": experience_id(task, observation, action, available, reason, step_instruction),
                "kind": ExperienceKind.SHOP.value if webshop else ExperienceKind.WIKIHOW.value,
                "task": task,
                "observation": observation,
                "available_actions": available,
                "action": action,
                "reason": reason,
                "q": _number(at, stats, "qvalue"),
                "n": _number(at, stats, "number", whole=True),
                "mean_reward": _number(at, stats, "reward") if "reward" in stats else 0.0,
                "step": len(history),
                "source": "import",
                "model": "",
                "step_instruction": step_instruction,
                "action_history": history_json,
            })
    if not rows:
        raise MemoryFileError(f"{name}: the history pool has no actions")
    if len(rows) > MAX_POOL_ROWS:
        raise MemoryFileError(f"{name}: {len(rows):,} actions; a history pool may hold at most {MAX_POOL_ROWS:,}")
    columns = {k: [r[k] for r in rows] for k in rows[0]}
    return RawRows(columns, len(rows)), FileMeta()
