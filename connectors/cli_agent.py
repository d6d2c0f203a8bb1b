"""`zhanggui serve | chat | audit` — the agent from the command line."""

from __future__ import annotations

import ipaddress

import typer

from agent.errors import ConfigError
from agent.settings import get_settings


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def register(app: typer.Typer) -> None:
    from connectors.cli import print_json, reports_errors

    @app.command()
    @reports_errors
    def serve(
        host: str = typer.Option("127.0.0.1", "--host", help="Address to bind."),
        port: int = typer.Option(8000, "--port", help="Port to listen on."),
        workers: int = typer.Option(1, "--workers", help="Worker processes (the service is stateless)."),
    ) -> None:
        """Start the HTTP API (OpenAI-compatible chat + REST + /metrics + /docs)."""
        import uvicorn

        settings = get_settings()
        if not settings.api_keys and not _loopback(host):
            raise ConfigError(f"没有配置 API key 时只能绑定本机地址，不能绑定 {host}。",
                              hint="设置 ZHANGGUI_API_KEYS='[\"<key>\"]' 后再对外提供服务")
        typer.echo(f"zhanggui serving on http://{host}:{port} (docs at /docs)", err=True)
        if workers > 1:
            uvicorn.run("connectors.http:create_app", factory=True, host=host, port=port, workers=workers)
        else:
            from connectors.http import create_app

            uvicorn.run(create_app(settings), host=host, port=port)

    @app.command()
    @reports_errors
    def chat(
        user: str = typer.Option(None, "--user", help="Who is asking (roles file decides what they may use)."),
        today: str = typer.Option(None, "--today", help="Reference date for analytics, e.g. 2025-12-01."),
        message: list[str] = typer.Option(None, "--message", "-m", help="Send these messages and exit (scripting)."),
    ) -> None:
        """Talk to Zhanggui in the terminal, with the same engine as every channel."""
        import uuid
        from datetime import date

        from agent.engine import Engine, Request
        from agent.errors import ZhangguiError

        engine = Engine(get_settings())
        ref = date.fromisoformat(today) if today else None
        thread = f"terminal:{uuid.uuid4()}"
        typer.echo(f"掌柜 ({engine.mode})：直接提问；/up /down [意见] 评价上一条回答；/quit 退出。", err=True)
        last_request: str | None = None
        scripted = list(message or [])
        while True:
            if message:
                if not scripted:
                    return
                text = scripted.pop(0)
                typer.echo(f"> {text}")
            else:
                try:
                    text = input("> ")
                except (EOFError, KeyboardInterrupt):
                    typer.echo("")
                    return
            if text.strip() in ("/quit", "/exit"):
                return
            if text.startswith(("/up", "/down")) and last_request:
                vote, _, comment = text[1:].partition(" ")
                engine.audit.add_feedback(last_request, vote, comment.strip() or None, user=user)
                typer.echo("谢谢，已记录。")
                continue
            try:
                reply = engine.handle(Request(text, channel="cli", thread=thread, user=user, today=ref))
            except ZhangguiError as exc:
                typer.echo(f"掌柜：{exc.message}" + (f"（{exc.hint}）" if exc.hint else ""))
                continue
            last_request = reply.request_id
            typer.echo(reply.text)

    @app.command()
    @reports_errors
    def audit(
        since: str = typer.Option("1d", "--since", help="How far back: 30m, 12h, 1d, 2w."),
        kind: str = typer.Option(None, "--kind", help="Only one kind: request, tool, sql, refused, error, reply."),
        json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Show the audit log (requests, tool calls, SQL, refusals, errors) and feedback."""
        from agent.audit import AuditLog, parse_since

        log = AuditLog.from_settings(get_settings())
        window = parse_since(since)
        events = log.events(window, kind=kind)
        votes = log.feedback(window)
        if json_out:
            print_json({"events": events, "feedback": votes})
            return
        if not events and not votes:
            typer.echo(f"no audit events in the last {since}")
        for e in events:
            extra = []
            if e["duration_ms"] is not None:
                extra.append(f"{e['duration_ms']:.0f}ms")
            if e["result_size"] is not None:
                extra.append(f"{e['result_size']}B")
            args = f" {e['arguments']}" if e["arguments"] else ""
            detail = f" — {e['detail']}" if e["detail"] else ""
            typer.echo(f"{e['ts'][:19]} {e['request_id'][:8]} {e['kind']:<8} {e['name'] or ''}"
                       f" [{e['channel'] or ''}/{e['user_id'] or '-'}/{e['role'] or ''}]"
                       f"{args} {' '.join(extra)}{detail}")
        for v in votes:
            sign = "👍" if v["vote"] > 0 else "👎"
            typer.echo(f"{v['ts'][:19]} {v['request_id'][:8]} feedback {sign} {v['comment'] or ''}")
