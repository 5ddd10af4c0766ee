"""The one policy table: every place that lists policies reads it, aliases resolve, unknown names fail clearly."""

import re
from pathlib import Path

import pytest

from tui_agent.config.base import POLICIES, POLICY_TABLE, policy_spec, policy_table_markdown

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_policy_table_is_the_policy_table():
    found = re.search(r"<!-- policies: start[^\n]*-->\n(.*?)\n<!-- policies: end -->", README.read_text("utf-8"), re.S)
    assert found, "README has no policies block"
    assert found.group(1) == policy_table_markdown(), "README policy table is stale: paste policy_table_markdown()"


def test_aliases_resolve_and_unknown_names_list_the_known_ones():
    assert policy_spec(" rlem ").name == POLICIES[0]
    assert policy_spec("rememberer", "docqa").name == "rememberer"
    with pytest.raises(ValueError, match="expected one of episodic-control, rememberer, llm, random"):
        policy_spec("greedy")


def test_the_domains_validator_cli_and_palette_read_the_table():
    from tui_agent.cli.common import PolicyOption
    from tui_agent.config.settings import Settings
    from tui_agent.docqa.agent import docqa_policy
    from tui_agent.shop.agent import policy_name

    for spec in POLICY_TABLE:
        for alias in (spec.name, *spec.aliases):
            assert policy_name(alias) == docqa_policy(alias) == Settings(policy=alias).policy == spec.name
        assert spec.name in PolicyOption.__metadata__[0].help
    with pytest.raises(ValueError):
        Settings(policy="greedy")


def test_the_old_name_still_works_and_the_cli_says_the_new_one():
    from typer.testing import CliRunner

    from tui_agent.cli.main import app

    out = CliRunner().invoke(app, ["eval", "--env", "nowhere", "--policy", "q-driven"])
    assert "policy 'q-driven' is now called 'episodic-control'" in out.output
    assert out.exit_code == 2  # then the unknown env is reported as before
