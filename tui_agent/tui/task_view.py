"""``/task``: a shop episode run live in the chat, with 👍/👎 afterwards.

Each step shows the page type, the chosen action, who chose it and why, the
observation (collapsible) and the advice used (collapsible: the memory's Q̂ per
candidate and the exemplars' encouraged/discouraged actions). Then the final
reward. The episode's reward updates the memory (no exploration of untried
actions: the user wants the best try). 👍/👎 adds one extra update of +1/−1
to every (record, action) of the episode.

Goals: ``/task`` alone runs a random test goal. ``/task GOAL`` uses the
user's text as the instruction; the reward is computed against the closest
catalog goal when its instruction matches well (rapidfuzz token_set_ratio ≥
90), otherwise the episode runs with "no reward: free-text goal" and the
memory learns only from 👍/👎.

No user, catalog or model text is parsed as markup (``rich.text.Text``).
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Collapsible, Static

from tui_agent.tui.keymap import bindings
from tui_agent.tui.safe import count_of, plain, visible

__all__ = ["SavedRunView", "StepView", "TaskView", "make_shop_agent"]


def make_shop_agent(app: Any) -> Any:
    """A ShopAgent sharing the chat agent's memory, embedder and model."""
    from tui_agent.agents.factory import agent_for_chat

    return agent_for_chat("shop", app.agent)


class StepView(Vertical):
    """One step: header line, reason, collapsible observation and advice."""

    def __init__(self, step: Any) -> None:
        super().__init__(classes="task-step")
        self.step = step

    def compose(self) -> ComposeResult:
        s = self.step
        head = Text(f"{s.t + 1}. ", style="bold")
        head.append(f"[{getattr(s, 'page_type', None) or getattr(s, 'state', '')}] ", style="dim")
        head.append(visible(s.action), style="bold")
        if not s.valid:
            head.append("  (invalid: nothing happened)", style="red")
        yield Static(head, classes="task-step-head")
        yield Static(plain(f"{s.chosen_by}: {s.reason}"), classes="task-step-reason")
        with Collapsible(title="observation", collapsed=True, classes="task-observation"):
            yield Static(plain(s.observation + "\n\navailable: " + ", ".join(s.available_actions)),
                         classes="task-observation-text")
        with Collapsible(title="advice", collapsed=True, classes="task-advice"):
            yield Static(plain(s.advice or "none (the action was fixed)"), classes="task-advice-text")


class TaskView(Vertical):
    """A live shop episode for ``goal`` (None: a random test goal) inside ``app`` (a ChatApp)."""

    DEFAULT_CSS = """
    TaskView { height: auto; margin: 1 8 0 0; padding: 0 1; border-left: thick $accent 50%; }
    TaskView .task-title { text-style: bold; }
    TaskView .task-meta { color: $text-muted; }
    TaskView .task-steps { height: auto; }
    TaskView .task-step { height: auto; margin: 1 0 0 0; }
    TaskView .task-step-reason { color: $text-muted; padding-left: 3; }
    TaskView Collapsible { padding: 0 0 0 2; margin: 0; border: none; background: transparent; }
    TaskView .task-result { margin-top: 1; text-style: bold; }
    TaskView .task-actions { height: 1; }
    TaskView .task-actions Button { margin-right: 1; min-width: 4; }
    TaskView .task-actions Button.chosen { background: $accent 40%; }
    """

    BINDINGS = bindings("run")

    def __init__(self, goal: str | None, app: Any) -> None:
        super().__init__(classes="task")
        self.goal = goal
        self.chat_app = app
        self.agent: Any = None
        self.result: Any = None
        self.rated: bool | None = None
        self.counts: tuple[int, int] | None = None
        """Experiences in the memory before and after the episode (what the status line shows)."""
        self.message_id: int | None = None
        """The saved chat's message that keeps this run (:meth:`keep`); its rating is saved there too."""

    TITLE = "web task: "
    RANDOM = "a random test goal"
    KIND = "task"
    """How the run is kept in the saved chat (:meth:`tui_agent.chats.store.ChatStore.add_run`)."""

    def compose(self) -> ComposeResult:
        yield Static(plain(self.TITLE + (self.goal or self.RANDOM)), classes="task-title")
        yield Static(plain("waiting for the model and memory…"), classes="task-meta")
        yield Vertical(classes="task-steps")
        yield Static(plain(""), classes="task-result")
        with Horizontal(classes="task-actions"):
            yield Button("👍", id="task-up", compact=True, disabled=True, tooltip="Good episode: +1 to every step")
            yield Button("👎", id="task-down", compact=True, disabled=True, tooltip="Bad episode: −1 to every step")

    def on_mount(self) -> None:
        self.run_task()

    # --- updates (UI thread) --------------------------------------------------------

    def set_meta(self, text: str) -> None:
        self.query_one(".task-meta", Static).update(plain(text))

    def set_result(self, text: str) -> None:
        self.query_one(".task-result", Static).update(plain(text))

    def add_step(self, step: Any) -> None:
        self.query_one(".task-steps", Vertical).mount(StepView(step))

    @property
    def steps(self) -> list[StepView]:
        return list(self.query(StepView))

    # --- the episode ----------------------------------------------------------------

    @work(group="tasks")
    async def run_task(self) -> None:
        app = self.chat_app
        await app.ready.wait()
        if getattr(app, "load_error", None) or app.agent is None:
            problem = f"✗ not ready: {getattr(app, 'load_error', None) or 'no agent'}"
            self.set_meta(problem)
            self.keep(problem)
            return
        note = ""
        try:
            self.agent, env, options, has_reward, note = await asyncio.to_thread(self._prepare)
            self.set_meta(note)

            def on_step(step: Any) -> None:
                app.call_from_thread(self.add_step, step)

            before = await asyncio.to_thread(app.agent.memory_count)
            self.result = await asyncio.to_thread(self._run, env, options, has_reward, on_step)
            self.counts = before, await asyncio.to_thread(app.agent.memory_count)
        except Exception as exc:  # noqa: BLE001 - shown, the app keeps running
            self.set_result(f"✗ task failed: {exc}")
            self.keep(f"✗ task failed: {exc}", note)
            return
        self.set_result(self._result_text(self.result))
        self.keep(self._result_text(self.result), note, [s.step.action for s in self.steps])
        for button in self.query(Button):
            button.disabled = False
        if hasattr(app, "refresh_status"):
            app.refresh_status()

    def _run(self, env: Any, options: dict[str, Any], has_reward: bool, on_step: Any) -> Any:
        """The episode (worker thread): learns from the reward, no exploration (the user wants the best try)."""
        return self.agent.run_episode(env, options, self.chat_app.agent.settings.policy, True, on_step,
                                      has_reward=has_reward, explore=False)

    def keep(self, outcome: str, note: str = "", actions: list[str] | None = None) -> None:
        """Save the run in the chat (the app's ``session``): what was asked, the steps' actions, the outcome."""
        session = getattr(self.chat_app, "session", None)
        if session is None:
            return
        lines = [self.TITLE + (self.goal or self.RANDOM)] + ([note] if note else [])
        lines += [f"{i}. {action}" for i, action in enumerate(actions or [], 1)]
        model = getattr(getattr(self.chat_app, "settings", None), "model", None)
        self.message_id = session.run(self.KIND, "\n".join([*lines, outcome]), model)

    def _result_text(self, r: Any) -> str:
        if r.reward is None:
            return f"no reward: free-text goal · {count_of(len(r.steps), 'step')}"
        return (f"reward {r.reward:.2f} · {'success ✓' if r.success else 'not a full match'} · "
                f"{count_of(len(r.steps), 'step')} · {self.memory_text(r)}")

    def memory_text(self, r: Any) -> str:
        """How the episode changed the memory, in the status line's numbers: "memory updated: 16 new
        experiences, 22 in all" (or "3 experiences changed, …" when none was added)."""
        if self.counts is None:
            return "memory updated"
        before, after = self.counts
        what = (count_of(after - before, "new experience") if after > before else
                f"{count_of(len(set(r.row_ids)), 'experience')} changed")
        return f"memory updated: {what}, {after} in all"

    def _prepare(self) -> tuple[Any, Any, dict[str, Any], bool, str]:
        from tui_agent.envs.shop.env import ShopEnv
        from tui_agent.shop.protocol import match_goal

        agent = make_shop_agent(self.chat_app)
        env = ShopEnv(split="test")
        if not self.goal:
            index = random.randrange(env.catalog.split_size("test"))
            return agent, env, {"split": "test", "goal_index": index}, True, f"test goal #{index}"
        match = match_goal(self.goal, env.catalog)
        if match.has_reward:
            note = (f"reward against the closest catalog goal ({match.split} #{match.goal_index}, "
                    f"match {match.similarity:.0f}/100): {match.closest}")
        else:
            note = (f"no reward: free-text goal (closest catalog goal matched only "
                    f"{match.similarity:.0f}/100); rate the episode with 👍/👎")
        return agent, env, match.options, match.has_reward, note

    # --- feedback -------------------------------------------------------------------

    @on(Button.Pressed, "#task-up, #task-down")
    def _rate(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_rate(event.button.id == "task-up")

    def action_rate(self, up: bool) -> None:
        """👍 / 👎 on the finished episode (the buttons, or + / − with focus anywhere in the run); once."""
        if self.result is None or self.rated is not None:
            return
        self.rated = up
        self.query_one("#task-up" if up else "#task-down", Button).add_class("chosen")
        for button in self.query(Button):
            button.disabled = True
        self.apply_feedback(up)

    @work(thread=True, group="task-ratings")
    def apply_feedback(self, up: bool) -> None:
        try:
            updated = self.agent.feedback(self.result, up)
        except Exception as exc:  # noqa: BLE001
            self.chat_app.call_from_thread(self.set_meta, f"✗ feedback not saved: {exc}")
            return
        sign = "+1" if up else "−1"
        self.chat_app.call_from_thread(self.set_meta, f"{'👍' if up else '👎'} applied: reward {sign} "
                                                      f"to {count_of(len(updated), 'step')}")
        session = getattr(self.chat_app, "session", None)
        if session is not None and updated:
            # A run's rating is kept on its message: Q = the mean of the rated steps' Q-values after
            # the update (∈ [−1, 1]), N = how many (record, action) pairs the rating updated.
            mean_q = sum(q for _, q, _ in updated) / len(updated)
            self.chat_app.call_from_thread(session.rating, self.message_id, up, mean_q, len(updated))


class SavedRunView(Static):
    """A ``/task`` or ``/doc`` run of a reopened chat: its saved outcome (a
    :class:`~tui_agent.chats.store.ChatMessage` of ``kind`` "task" / "doc"), as plain text."""

    DEFAULT_CSS = """
    SavedRunView { height: auto; margin: 1 8 0 0; padding: 0 1; border-left: thick $accent 50%; }
    """

    def __init__(self, message: Any) -> None:
        rating = {1: "👍", -1: "👎"}.get(message.rating or 0)
        if rating is not None and message.q is not None:
            rating += f" rated: mean Q {message.q:+.2f} over {count_of(message.n or 0, 'step')}"
        content = message.content if rating is None else f"{message.content}\n{rating}"
        super().__init__(plain(content), classes="saved-run")
        self.message = message
