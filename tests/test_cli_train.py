"""``train`` / ``eval``: flags → one options dataclass per domain → RunOptions, and the one report writer."""

from __future__ import annotations

import json
import sys
from dataclasses import fields

import typer.main

from tui_agent.agents.factory import RunOptions
from tui_agent.cli.docqa import DocQAOptions
from tui_agent.cli.main import app
from tui_agent.cli.runner import write_report
from tui_agent.cli.shop import ShopOptions
from tui_agent.cli.wikihow import WikiHowOptions

DISPATCH = {"env", "algo"}  # read by the command itself to pick the runner


def _params(command: str) -> set[str]:
    return {p.name for p in typer.main.get_command(app).commands[command].params}


def test_every_flag_reaches_a_domain_options_dataclass():
    names = {f.name for options in (ShopOptions, DocQAOptions, WikiHowOptions) for f in fields(options)}
    for command in ("train", "eval"):
        assert _params(command) - DISPATCH <= names, command


def test_from_params_keeps_the_domains_flags_and_its_default_scorer():
    params = {"env": "shop", "tasks": 5, "seed": 3, "no_random": True, "episodes": 9, "scorer": None,
              "no_bootstrap": True, "n": 4}
    shop = ShopOptions.from_params(params)
    assert (shop.tasks, shop.seed, shop.no_random, shop.scorer, shop.horizon) == (5, 3, True, "llm", 1)
    assert shop.run_options() == RunOptions(n=1, random_fill=False, scorer="llm", seed=3)
    assert shop.log_settings()["n"] == 4  # the flag as given; the agent uses n = 1
    docqa = DocQAOptions.from_params(params)
    assert (docqa.episodes, docqa.scorer, docqa.horizon) == (9, "constant", 1)
    assert docqa.run_options() == RunOptions(n=1, scorer="constant", seed=3)
    assert DocQAOptions.from_params({**params, "scorer": "llm"}).scorer == "llm"


def test_write_report_stamps_the_command_writes_and_prints(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["tui-agent", "train", "--json"])
    out, copy = tmp_path / "new" / "r.json", tmp_path / "copy.json"
    report = {"score": 0.5, "note": "ü"}
    assert write_report(report, out, True, also=[copy]) is True
    expected = {"score": 0.5, "note": "ü", "command": "tui-agent train --json"}
    assert json.loads(out.read_text(encoding="utf-8")) == expected == json.loads(copy.read_text(encoding="utf-8"))
    assert json.loads(capsys.readouterr().out) == expected
    assert write_report({"x": 1}, None) is False and capsys.readouterr().out == ""
