"""Training runs: an append-only log of every training episode (:mod:`.log`) and the learning curves drawn from
it (:mod:`.curves`, :mod:`.figures`). Standard library only (plotext is handed in by the caller); knows no UI,
memory or model.

Writers (``tui-agent train --env shop``, and every other trainer) use::

    from tui_agent.runs import RunLog

    with RunLog().start("shop", "rlem", {"epochs": 3}, policy="episodic-control") as run:
        run.episode(return_=1.0, reward=1.0, success=True, steps=7)
"""

from tui_agent.runs.log import EpisodeRow, Run, RunInfo, RunLog, RunLogError, default_path

__all__ = ["EpisodeRow", "Run", "RunInfo", "RunLog", "RunLogError", "default_path"]
