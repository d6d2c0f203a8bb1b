"""Roles from a YAML file: who is which role, and which tools each role may use where."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from agent.errors import ConfigError, ForbiddenError
from agent.settings import PROJECT_ROOT, Settings

DEFAULT_ROLES_FILE = PROJECT_ROOT / "knowledge" / "corpus" / "roles.yaml"
ROLE_NAMES = ("staff", "cs_agent", "marketer", "compliance_reviewer", "analyst", "admin")


ToolNotAllowedError = ForbiddenError  # a role (or a channel) may not use a tool; connectors answer 403


@dataclass(frozen=True)
class Role:
    name: str
    tools: frozenset[str]
    description: str = ""

    def allows(self, tool: str) -> bool:
        return "*" in self.tools or tool in self.tools


@dataclass
class RolePolicy:
    """The parsed roles file."""

    roles: dict[str, Role]
    default_role: str = "staff"
    users: dict[str, str] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)
    tool_channels: dict[str, list[str]] = field(default_factory=dict)

    def role_for(self, user: str | None, channel: str) -> Role:
        """User entry first, then the most specific channel entry, then the default."""
        if user and user in self.users:
            return self.roles[self.users[user]]
        for key in _channel_keys(channel):
            if key in self.channels:
                return self.roles[self.channels[key]]
        return self.roles[self.default_role]

    def allowed(self, role: Role, tool: str, channel: str) -> tuple[bool, str]:
        """Whether ``role`` may run ``tool`` in ``channel``, and if not, why (in Chinese)."""
        if not role.allows(tool):
            allowed = "、".join(sorted(role.tools)) or "无"
            return False, f"你的角色（{role.name}）不能使用工具 {tool}。这个角色可用：{allowed}。如需开通请联系管理员。"
        limits = self.tool_channels.get(tool)
        if limits is not None and not any(key in limits for key in _channel_keys(channel)):
            return False, f"工具 {tool} 不能在这个频道（{channel}）使用，可用频道：{'、'.join(limits)}。"
        return True, ""

    def check(self, role: Role, tool: str, channel: str) -> None:
        ok, why = self.allowed(role, tool, channel)
        if not ok:
            raise ToolNotAllowedError(why)

    def tools_for(self, role: Role, channel: str, names: list[str]) -> list[str]:
        return [n for n in names if self.allowed(role, n, channel)[0]]


def _channel_keys(channel: str) -> list[str]:
    """``slack:#data-team`` → [``slack:#data-team``, ``slack``]: most specific first."""
    keys = [channel]
    if ":" in channel:
        keys.append(channel.split(":", 1)[0])
    return keys


def load_roles(path: Path | None = None) -> RolePolicy:
    """Parse and validate a roles file; a mistake is a ConfigError naming the file."""
    path = Path(path) if path else DEFAULT_ROLES_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"找不到角色配置文件: {path}", hint="检查 ZHANGGUI_ROLES_FILE") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" 第 {mark.line + 1} 行" if mark else ""
        raise ConfigError(f"角色配置文件格式错误: {path}{where}: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("roles"), dict):
        raise ConfigError(f"角色配置文件缺少 roles 段: {path}")
    roles = {}
    for name, spec in raw["roles"].items():
        spec = spec or {}
        tools = spec.get("tools") or []
        if not isinstance(tools, list):
            raise ConfigError(f"{path}: 角色 {name} 的 tools 必须是列表")
        roles[name] = Role(name, frozenset(str(t) for t in tools), str(spec.get("description", "")))
    policy = RolePolicy(
        roles=roles,
        default_role=str(raw.get("default_role", "staff")),
        users={str(k): str(v) for k, v in (raw.get("users") or {}).items()},
        channels={str(k): str(v) for k, v in (raw.get("channels") or {}).items()},
        tool_channels={str(k): [str(c) for c in v] for k, v in (raw.get("tool_channels") or {}).items()},
    )
    for where, name in [("default_role", policy.default_role), *(("users." + u, r) for u, r in policy.users.items()),
                        *(("channels." + c, r) for c, r in policy.channels.items())]:
        if name not in roles:
            raise ConfigError(f"{path}: {where} 指向未定义的角色 {name}", hint=f"已定义: {', '.join(roles)}")
    return policy


def roles_from_settings(settings: Settings) -> RolePolicy:
    return load_roles(settings.roles_file)
