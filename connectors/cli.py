"""The `zhanggui` command line. Each group of commands lives in its own module and registers here."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer

from agent.errors import ZhangguiError

app = typer.Typer(
    name="zhanggui",
    help="掌柜 Zhanggui — an operations assistant for Chinese e-commerce teams.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])


def print_json(data: Any) -> None:
    """Print one JSON document, Chinese kept readable."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def reports_errors(func: F) -> F:
    """Turn a ZhangguiError into a one-line message on stderr and exit code 2, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ZhangguiError as exc:
            typer.echo(f"zhanggui: {exc.message}", err=True)
            if exc.hint:
                typer.echo(f"hint: {exc.hint}", err=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _register_commands() -> None:
    from connectors import cli_agent, cli_analytics, cli_compliance, cli_demo, cli_knowledge

    for module in (cli_knowledge, cli_compliance, cli_analytics, cli_agent, cli_demo):
        module.register(app)


_register_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
