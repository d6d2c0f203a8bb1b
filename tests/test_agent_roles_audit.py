"""Roles from a YAML file, the audit log, and `zhanggui audit --since` / `zhanggui chat`."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from agent.errors import ConfigError, InputError
from agent.roles import DEFAULT_ROLES_FILE, ROLE_NAMES, load_roles
from tests.agent_support import TEST_ROLES, make_settings, write_roles


def test_shipped_roles_file_defines_every_role() -> None:
    policy = load_roles(DEFAULT_ROLES_FILE)
    assert set(ROLE_NAMES) <= set(policy.roles)
    analyst, staff = policy.roles["analyst"], policy.roles["staff"]
    assert policy.allowed(analyst, "run_analytics", "http")[0]
    assert not policy.allowed(staff, "run_analytics", "http")[0]
    assert not policy.allowed(analyst, "run_analytics", "slack:#random")[0]  # channel limit


POLICY_CASES = [
    # (user, channel, expected role)
    ("ana", "slack:#random", "analyst"),
    (None, "slack:#cs-team", "cs_agent"),
    (None, "slack:#random", "staff"),
    (None, "cli", "admin"),
    ("carl", "cli", "cs_agent"),  # the user entry wins over the channel
]


@pytest.mark.parametrize(("user", "channel", "role"), POLICY_CASES)
def test_role_resolution(tmp_path: Path, user: str | None, channel: str, role: str) -> None:
    policy = load_roles(write_roles(tmp_path / "r.yaml", TEST_ROLES))
    assert policy.role_for(user, channel).name == role


BAD_FILES = [
    ("default_role: staff\nroles: [oops", "第 2 行"),
    ("users: {a: staff}", "roles"),
    ("roles: {staff: {tools: [x]}}\nusers: {bob: wizard}", "wizard"),
    ("roles: {staff: {tools: search_knowledge}}", "列表"),
    ("roles: {staff: {tools: []}}\ndefault_role: ghost", "ghost"),
]


@pytest.mark.parametrize(("text", "mentions"), BAD_FILES)
def test_malformed_roles_file_names_the_problem(tmp_path: Path, text: str, mentions: str) -> None:
    path = write_roles(tmp_path / "bad.yaml", text)
    with pytest.raises(ConfigError) as info:
        load_roles(path)
    assert mentions in info.value.message + (info.value.hint or "")
    assert str(path) in info.value.message


def test_missing_roles_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_roles(tmp_path / "nope.yaml")


@pytest.mark.parametrize(("text", "delta"), [("30m", timedelta(minutes=30)), ("12h", timedelta(hours=12)),
                                              ("1d", timedelta(days=1)), ("2w", timedelta(weeks=2))])
def test_parse_since(text: str, delta: timedelta) -> None:
    from agent.audit import parse_since

    assert parse_since(text) == delta


@pytest.mark.parametrize("text", ["", "yesterday", "1y", "-1d"])
def test_parse_since_rejects(text: str) -> None:
    from agent.audit import parse_since

    with pytest.raises(InputError):
        parse_since(text)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    settings = make_settings(tmp_path, roles_file=write_roles(tmp_path / "roles.yaml", TEST_ROLES))
    from connectors import cli_agent

    monkeypatch.setattr(cli_agent, "get_settings", lambda: settings)
    app = typer.Typer()
    cli_agent.register(app)
    return app


def test_chat_then_audit_shows_every_step(cli: typer.Typer) -> None:
    runner = CliRunner()
    chat = runner.invoke(cli, ["chat", "-m", "双十一预热期该做什么?", "-m", "/down 太长了", "-m", "", "-m", "什么是GMV?"])
    assert chat.exit_code == 0, chat.output
    assert "来源" in chat.output and "谢谢" in chat.output and "消息是空的" in chat.output
    out = runner.invoke(cli, ["audit", "--since", "1d", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    kinds = [e["kind"] for e in data["events"]]
    assert kinds.count("request") == 2 and kinds.count("reply") == 2
    tools = [e for e in data["events"] if e["kind"] == "tool"]
    assert {t["name"] for t in tools} == {"search_knowledge", "explain_kpi"}
    assert all(t["duration_ms"] is not None and t["result_size"] > 0 and t["arguments"] for t in tools)
    assert data["feedback"][0]["vote"] == -1 and data["feedback"][0]["comment"] == "太长了"
    text = runner.invoke(cli, ["audit", "--since", "1d"])
    assert "search_knowledge" in text.output and "👎" in text.output
    assert runner.invoke(cli, ["audit", "--since", "soon"]).exit_code == 2


def test_serve_refuses_public_bind_without_keys(cli: typer.Typer) -> None:
    out = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "9"])
    assert out.exit_code == 2 and "API key" in out.output
