"""Typed errors. Each carries a message a user can act on; connectors turn them into replies."""

from __future__ import annotations


class ZhangguiError(Exception):
    """Base of every error Zhanggui reports to a user."""

    code = "error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def to_dict(self) -> dict[str, str]:
        out = {"error": self.code, "message": self.message}
        if self.hint:
            out["hint"] = self.hint
        return out


class InputError(ZhangguiError):
    """The request itself is wrong: empty, too long, malformed, unknown option."""

    code = "bad_input"


class NotFoundError(ZhangguiError):
    """A named thing (file, conversation, KPI, table) does not exist."""

    code = "not_found"


class RefusedError(ZhangguiError):
    """A request that is understood but not allowed (unsafe SQL, personal data, a role's limit)."""

    code = "refused"


class ConfigError(ZhangguiError):
    """The configuration is wrong (a malformed rule file, an unusable URL or model path)."""

    code = "config"


class BackendError(ZhangguiError):
    """A service Zhanggui depends on failed or timed out (warehouse, vector store, LLM)."""

    code = "backend"


class TooLargeError(InputError):
    """A message or upload over the configured size limit."""

    code = "too_large"


class ForbiddenError(RefusedError):
    """The caller's role (or channel) may not use the tool the request needs."""

    code = "forbidden"
