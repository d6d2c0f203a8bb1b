"""The HTTP API: OpenAI-compatible chat, the REST mirror of the command line, health and metrics.

``create_app(settings)`` builds a stateless app (conversations, audit and feedback live in
the store), so more workers or machines can serve behind a load balancer. With no API key
configured the app only answers loopback clients; with keys, every call but ``/healthz``
needs ``Authorization: Bearer <key>``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

from fastapi import Depends, FastAPI, Request as HttpRequest
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from agent.engine import Engine, Reply, Request
from agent.errors import (BackendError, ConfigError, ForbiddenError, InputError, NotFoundError, RefusedError,
                          TooLargeError, ZhangguiError)
from agent.metrics import HTTP_REQUESTS, HTTP_SECONDS, REGISTRY
from agent.settings import Settings, get_settings

MODEL_ID = "zhanggui"
MAX_BODY_BYTES = 2_000_000  # a chat body; batch uploads have their own, larger limit
MAX_BATCH_BYTES = 20_000_000
_STATUS = [(TooLargeError, 413), (InputError, 400), (NotFoundError, 404), (ForbiddenError, 403),
           (RefusedError, 403), (ConfigError, 500), (BackendError, 502)]


class Unauthorized(ZhangguiError):
    code = "unauthorized"


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(..., min_length=1)
    stream: bool = False
    user: str | None = None
    conversation_id: str | None = Field(None, description="Continue a stored conversation (from a previous reply).")
    today: date | None = Field(None, description="Reference date for relative times in analytics.")


class AskBody(BaseModel):
    question: str


class SearchBody(BaseModel):
    query: str
    k: int = Field(5, ge=1, le=50)


class SqlBody(BaseModel):
    question: str
    today: date | None = None


class ComplianceBody(BaseModel):
    text: str
    category: str | None = None


class FeedbackBody(BaseModel):
    request_id: str
    vote: str = Field(..., description="up or down")
    comment: str | None = Field(None, max_length=2000)


def _status(exc: ZhangguiError) -> int:
    if isinstance(exc, Unauthorized):
        return 401
    return next((code for cls, code in _STATUS if isinstance(exc, cls)), 500)


def _error_body(path: str, exc: ZhangguiError) -> dict[str, Any]:
    if path.startswith("/v1/"):  # the shape OpenAI clients know how to show
        return {"error": {"message": exc.message + (f" ({exc.hint})" if exc.hint else ""), "type": exc.code,
                          "code": exc.code, "param": None}}
    return exc.to_dict()


def _text(content: str | list[dict[str, Any]] | None) -> str:
    if isinstance(content, list):  # OpenAI content parts: keep the text ones
        return "".join(str(p.get("text", "")) for p in content if p.get("type") in (None, "text"))
    return content or ""


def _thread(body: ChatCompletionRequest) -> str:
    """Chat UIs resend the whole history: the first user message (and user) names the thread."""
    first = next((_text(m.content) for m in body.messages if m.role == "user"), "")
    return hashlib.sha1(f"{body.user or ''}\x1f{first}".encode()).hexdigest()[:24]


def _is_local(host: str | None) -> bool:
    if not host:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # not an IP: an in-process test client or a unix socket
        return host in ("localhost", "testclient")


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="Zhanggui 掌柜 API", version="0.1.0",
                  description="OpenAI-compatible chat plus the REST mirror of the `zhanggui` command line.")
    app.state.settings = settings
    app.state.engine = engine
    # A key written `user=secret` belongs to that user (the role comes from the roles file and a
    # caller cannot claim another user); a bare key trusts the X-Zhanggui-User header, e.g. behind SSO.
    keys: list[tuple[str | None, str]] = []
    for entry in (k.get_secret_value() for k in settings.api_keys):
        user_part, sep, secret = entry.partition("=")
        keys.append((user_part.strip(), secret) if sep and user_part.strip() and secret else (None, entry))

    def get_engine() -> Engine:
        if app.state.engine is None:
            app.state.engine = Engine(settings)
        return app.state.engine

    def auth(request: HttpRequest) -> tuple[str | None, bool]:
        """Bearer key when keys are configured, otherwise loopback clients only.

        Returns the user the key is bound to (if any) and whether the caller may name a user.
        """
        if not keys:
            if not _is_local(request.client.host if request.client else None):
                raise ForbiddenError("这个服务没有配置 API key，只接受本机访问。", hint="设置 ZHANGGUI_API_KEYS 后再对外提供服务")
            return None, True
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("缺少 API key。", hint="请求头加上 Authorization: Bearer <key>")
        matched = [user for user, secret in keys if hmac.compare_digest(token.strip().encode(), secret.encode())]
        if not matched:
            raise Unauthorized("API key 不正确。")
        return matched[0], matched[0] is None

    def caller(request: HttpRequest, key: tuple[str | None, bool] = Depends(auth)) -> str | None:
        bound, may_name = key
        return (request.headers.get("x-zhanggui-user") or None) if may_name else bound

    @app.middleware("http")
    async def limits_and_metrics(request: HttpRequest, call_next):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        limit = MAX_BATCH_BYTES if request.url.path.endswith("/batch") else MAX_BODY_BYTES
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > limit:
            exc = TooLargeError(f"请求体太大（{int(length)} 字节），上限 {limit} 字节。")
            response = JSONResponse(_error_body(request.url.path, exc), status_code=413)
        else:
            response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "other")
        HTTP_REQUESTS.labels(path, str(response.status_code)).inc()
        HTTP_SECONDS.labels(path).observe(time.perf_counter() - start)
        return response

    @app.exception_handler(ZhangguiError)
    async def zhanggui_error(request: HttpRequest, exc: ZhangguiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
        return JSONResponse(_error_body(request.url.path, exc), status_code=_status(exc), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: HttpRequest, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            err: ZhangguiError = InputError("请求体不是合法的 JSON。", hint="检查引号、逗号和括号")
            return JSONResponse(_error_body(request.url.path, err), status_code=400)
        fields = "; ".join(f"{'.'.join(str(x) for x in e['loc'] if x != 'body')}: {e['msg']}" for e in errors)
        err = InputError(f"请求参数不对: {fields}")
        return JSONResponse(_error_body(request.url.path, err), status_code=422)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "mode": "offline" if settings.offline else "llm", "model": MODEL_ID}

    @app.get("/metrics", tags=["ops"], response_class=PlainTextResponse)
    def metrics(_: tuple[str | None, bool] = Depends(auth)) -> PlainTextResponse:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return PlainTextResponse(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    @app.get("/v1/models", tags=["openai"])
    def models(_: tuple[str | None, bool] = Depends(auth)) -> dict[str, Any]:
        return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "zhanggui"}]}

    @app.post("/v1/chat/completions", tags=["openai"], response_model=None)
    def chat_completions(body: ChatCompletionRequest, request: HttpRequest,
                         user: str | None = Depends(caller)) -> Any:
        last = next((m for m in reversed(body.messages) if m.role == "user"), None)
        if last is None:
            raise InputError("messages 里没有 user 消息。")
        conversation_id = body.conversation_id or request.headers.get("x-conversation-id")
        reply = get_engine().handle(Request(
            _text(last.content), channel="http", thread=None if conversation_id else _thread(body),
            user=user, conversation_id=conversation_id, today=body.today))
        if body.stream:
            return StreamingResponse(_sse(reply, body.model), media_type="text/event-stream",
                                     headers={"X-Conversation-Id": reply.conversation_id})
        return JSONResponse(_completion(reply, body.model), headers={"X-Conversation-Id": reply.conversation_id})

    @app.get("/api/conversations/{conversation_id}", tags=["rest"])
    def conversation(conversation_id: str, _: str | None = Depends(caller)) -> dict[str, Any]:
        engine = get_engine()
        conv = engine.store.get(conversation_id)
        history = engine.store.history(conv.id, limit=200)
        return {"conversation_id": conv.id, "channel": conv.channel,
                "messages": [{"role": m.role, "content": m.content, "intent": m.intent} for m in history]}

    @app.post("/api/ask", tags=["rest"])
    def ask(body: AskBody, user: str | None = Depends(caller)) -> dict[str, Any]:
        """Same JSON as `zhanggui ask --json`."""
        from knowledge.answer import answer_question
        from tools.search_knowledge import with_knowledge_base

        engine = get_engine()
        question = engine.validate(body.question)
        return engine.direct("search_knowledge", {"query": question}, user=user, channel="http",
                             call=lambda: with_knowledge_base(settings, lambda kb: answer_question(kb, question).to_dict()))

    @app.post("/api/search", tags=["rest"])
    def search(body: SearchBody, user: str | None = Depends(caller)) -> list[dict[str, Any]]:
        """Same JSON as `zhanggui search --json`."""
        from tools.search_knowledge import with_knowledge_base

        engine = get_engine()
        query = engine.validate(body.query)
        return engine.direct("search_knowledge", {"query": query, "k": body.k}, user=user, channel="http",
                             call=lambda: with_knowledge_base(
                                 settings, lambda kb: [h.to_dict() for h in kb.search(query, k=body.k)]))

    @app.post("/api/sql", tags=["rest"])
    def sql(body: SqlBody, user: str | None = Depends(caller)) -> dict[str, Any]:
        """Same JSON as `zhanggui sql --json`."""
        engine = get_engine()
        question = engine.validate(body.question)

        def run() -> dict[str, Any]:
            from tools.analytics import ask_warehouse

            return ask_warehouse(question, today=body.today, settings=settings).model_dump(mode="json")

        return engine.direct("run_analytics", {"question": question, "today": body.today}, user=user,
                             channel="http", call=run, sql_of=lambda out: out.get("sql"))

    @app.post("/api/compliance/check", tags=["rest"])
    def compliance_check(body: ComplianceBody, user: str | None = Depends(caller)) -> dict[str, Any]:
        """Same JSON as `zhanggui check --json`."""
        engine = get_engine()
        text = engine.validate_document(body.text)

        def run() -> dict[str, Any]:
            from tools.compliance import check_text

            return check_text(text, category=body.category).model_dump(mode="json")

        return engine.direct("check_compliance", {"text": text[:200], "category": body.category}, user=user,
                             channel="http", call=run)

    @app.post("/api/compliance/batch", tags=["rest"])
    async def compliance_batch(request: HttpRequest, user: str | None = Depends(caller)) -> dict[str, Any]:
        """A JSONL upload (lines of {"id", "text", "category"}); one result per line, errors by line number."""
        raw = await request.body()
        engine = get_engine()
        results = engine.direct("check_compliance", {"batch_bytes": len(raw)}, user=user, channel="http",
                                call=lambda: check_batch(raw))
        return {"results": results, "lines": len(results), "errors": sum(1 for r in results if "error" in r)}

    @app.post("/api/feedback", tags=["rest"])
    def post_feedback(body: FeedbackBody, user: str | None = Depends(caller)) -> dict[str, Any]:
        return get_engine().audit.add_feedback(body.request_id, body.vote, body.comment, user=user)

    return app


def check_batch(raw: bytes) -> list[dict[str, Any]]:
    """Check each JSONL line like `zhanggui check --jsonl`; a broken line gets an error record
    with its line number and every other line is still checked."""
    from tools.compliance import check_batch as check_lines

    out = list(check_lines(raw.split(b"\n")))
    if not out:
        raise InputError("上传的内容是空的。", hint='每行一个 JSON：{"id": 1, "text": "文案", "category": null}')
    return out


def _extra(reply: Reply) -> dict[str, Any]:
    return {"conversation_id": reply.conversation_id, "request_id": reply.request_id, "intent": reply.intent,
            "mode": reply.mode, "role": reply.role, "notice": reply.notice, "citations": reply.citations,
            "tool_calls": reply.tool_calls, "data": reply.data, "candidates": reply.candidates}


def _completion(reply: Reply, model: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{reply.request_id}", "object": "chat.completion", "created": int(time.time()),
        "model": model or MODEL_ID,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "zhanggui": _extra(reply),
    }


def _sse(reply: Reply, model: str, piece: int = 24) -> Iterator[str]:
    """The reply as OpenAI stream chunks. The whole reply is guarded (PII, citations) before
    the first byte is sent, so a stream can never leak what the guards would remove."""
    base = {"id": f"chatcmpl-{reply.request_id}", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": model or MODEL_ID}

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        body = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    for i in range(0, len(reply.text), piece):
        yield chunk({"content": reply.text[i:i + piece]})
    yield chunk({}, "stop", zhanggui=_extra(reply))
    yield "data: [DONE]\n\n"
