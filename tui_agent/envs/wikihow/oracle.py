"""A scripted solver of WikiHow tasks: reads the app's page (not only the screen) and acts as a person would.

The upper bound of the results table and the walker of the tests. Per step of the task: search the
phrase from any search element; else click the element that leads to the step's target if it is on
screen; else open the options menu (bookmark) or scroll down; back when the page has no more to show.
"""

from __future__ import annotations

from typing import Any

__all__ = ["oracle_action"]


def _target_of(kind: str, arg: str) -> tuple[str, ...] | None:
    return {"article": ("article", arg), "category": ("category", arg), "author": ("author", arg),
            "about": ("about",), "references": ("references",), "bookmark": ("bookmark",)}.get(kind)


def oracle_action(env: Any) -> str:
    """The next action for ``env`` (a reset :class:`~tui_agent.envs.wikihow.env.WikiHowEnv` mid-episode)."""
    app, task = env._active()
    if env.done_steps >= len(task.steps):
        return "GOBACK"
    step = task.steps[env.done_steps]
    elements = app.elements()
    if step.kind == "search":
        box = next(i for i, e in enumerate(elements) if e.inputs)
        return f"INPUT({box}, {step.arg.lower()})"
    wanted = _target_of(step.kind, step.arg)
    for i, e in enumerate(elements):
        if e.target == wanted and e.clickable:
            return f"CLICK({i})"
    if step.kind == "bookmark":
        return next(f"CLICK({i})" for i, e in enumerate(elements) if e.target == ("options",))
    page = app.page
    if page.offset + page.window < len(page.content):
        return "SCROLL(DOWN)"
    return "GOBACK"
