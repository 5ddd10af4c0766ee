"""``tui-agent tune``: a LoRA of the bundled model from the memory's corrections and 👍 answers (issue 25).

``tune`` trains, writes the adapter GGUF into the data dir, evaluates it and switches it on when it passes;
``tune --list | --use ID | --off | --remove ID`` manage the tuned models. Needs the ``tune`` extra
(``pip install -e '.[tune]'``) to train; managing them needs nothing extra.
"""

from __future__ import annotations

from typing import Annotated

import typer

from tui_agent.cli.common import MemoryDirOption, echo, fail, print_json, settings_for, user_errors
from tui_agent.tune.contrast import DEFAULT_CONTRAST
from tui_agent.tune.model import TrainOptions

_EXTRA = ("torch", "transformers", "peft", "gguf")


def _missing_extra() -> list[str]:
    import importlib.util

    return [name for name in _EXTRA if importlib.util.find_spec(name) is None]


def _list(as_json: bool) -> None:
    from tui_agent.llm import adapters
    from tui_agent.tune.pipeline import describe

    found, current = adapters.list_adapters(), adapters.active()
    state = adapters.read_state()
    if as_json:
        print_json({"adapters": [m.to_json() for m in found], "active": current.id if current else None,
                    "off": state["off"]})
        return
    if not found:
        echo("no tuned models yet (tui-agent tune makes one from your corrections and 👍 answers)")
        return
    for m in found:
        mark = "*" if current is not None and m.id == current.id else " "
        status = "passed" if m.passed else f"kept, not switched on: {m.reason}"
        echo(f"{mark} {m.id}  {len(m.experience_ids)} answers  {m.train.get('wall_seconds', '?')} s  {status}")
        echo(f"    {describe(m)}")
    if state["off"]:
        echo("tuned models are off (tui-agent tune --use ID switches one on)")
    elif current is None:
        echo("no tuned model is in use")


def tune(
    list_: Annotated[bool, typer.Option("--list", help="List the tuned models (* = in use) and exit.")] = False,
    use: Annotated[str | None, typer.Option("--use", metavar="ID", help="Switch the tuned model ID on and exit.",
                                            show_default=False)] = None,
    off: Annotated[bool, typer.Option("--off", help="Switch tuned models off (the base model answers) and exit.")] = False,
    remove: Annotated[str | None, typer.Option("--remove", metavar="ID", help="Delete the tuned model ID and exit.",
                                               show_default=False)] = None,
    max_minutes: Annotated[float, typer.Option("--max-minutes", min=0.1, help="Training budget, minutes: training "
                                                "stops when it is spent (the adapter keeps what was learnt).")] = 10.0,
    epochs: Annotated[int, typer.Option("--epochs", min=1, max=100, help="Passes over the data (more when it is "
                                         "small: at least 100 steps).")] = TrainOptions.epochs,
    rank: Annotated[int, typer.Option("--rank", min=1, max=256, help="LoRA rank.")] = TrainOptions.rank,
    lr: Annotated[float, typer.Option("--lr", min=1e-6, max=0.1, help="Learning rate (AdamW, decays "
                                       "linearly).")] = TrainOptions.lr,
    replay: Annotated[bool, typer.Option("--replay/--no-replay", help="Train on the base model's own answers to "
                                          "40 general questions too (keeps what it knew).")] = True,
    contrast: Annotated[int, typer.Option("--contrast", min=0, max=10, help="Contrast questions per taught question "
                                           "(one word changed), trained towards \"I don't know\".")] = DEFAULT_CONTRAST,
    switch_on: Annotated[bool, typer.Option("--switch-on/--keep-off", help="Switch the new tuned model on when it "
                                             "passes its evaluation.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result (or the list) as JSON.")] = False,
    memory_dir: MemoryDirOption = None,
) -> None:
    """Tune the bundled model (local/smollm2) on your corrections and 👍 answers: a LoRA on CPU.

    The adapter is evaluated before it is used (taught facts, 20 general questions against the base
    model, near-miss questions); one that loses more than 1 general answer, answers more than 10 % of
    the near-miss questions with a taught fact or states under half the taught facts is kept but not
    switched on, and the reason is printed.
    The chat uses the tuned model from its next start; undo with --off or --remove ID.
    """
    from tui_agent.llm import adapters

    if sum((list_, use is not None, off, remove is not None)) > 1:
        fail("give one of --list, --use ID, --off, --remove ID", 2)
    try:
        if list_:
            _list(as_json)
            return
        if use is not None:
            m = adapters.use(use.strip())
            echo(f"tuned model {m.id} is on: the chat uses it from its next start"
                 + ("" if m.passed else f" (it did not pass its evaluation: {m.reason})"))
            return
        if off:
            adapters.off()
            echo("tuned models are off: local/smollm2 answers as shipped (tui-agent tune --use ID switches one on)")
            return
        if remove is not None:
            m = adapters.remove(remove.strip())
            echo(f"removed tuned model {m.id}")
            return
    except adapters.AdapterError as exc:
        fail(str(exc))
    missing = _missing_extra()
    if missing:
        fail(f"tune needs the 'tune' extra ({', '.join(missing)} missing): pip install -e '.[tune]'")
    from tui_agent.memory.store import ExperienceStore
    from tui_agent.tune.pipeline import TuneOptions, describe, run_tune

    settings = settings_for(memory_dir, None)
    options = TuneOptions(TrainOptions(rank=rank, alpha=2 * rank, epochs=epochs, lr=lr), max_minutes=max_minutes,
                          replay=replay, contrast=contrast, switch_on=switch_on)
    with user_errors():
        store = ExperienceStore(settings.resolved_memory_dir())
        manifest = run_tune(store, options, lambda msg: echo(msg, err=True))
    if as_json:
        print_json(manifest.to_json())
        return
    echo(f"tuned model {manifest.id}: {describe(manifest)}; {manifest.train['wall_seconds']} s")
    if manifest.passed and switch_on:
        echo("switched on: the chat uses it from its next start (undo: tui-agent tune --off)")
    elif manifest.passed:
        echo(f"passed, kept off (switch it on: tui-agent tune --use {manifest.id})")
    else:
        echo(f"kept but not switched on: {manifest.reason}")
