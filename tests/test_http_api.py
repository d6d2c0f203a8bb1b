"""The HTTP API: OpenAI-compatible chat, the REST mirror of the CLI, auth, and every bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from connectors.http import create_app
from tests.agent_support import TEST_ROLES, make_settings, write_roles

KEY = "test-key-123"


def _client(tmp_path: Path, keys: list[str] | None = None, **kw: object) -> TestClient:
    roles = write_roles(tmp_path / "roles.yaml", TEST_ROLES)
    settings = make_settings(tmp_path, roles_file=roles, api_keys=keys or [], max_message_chars=300)
    return TestClient(create_app(settings), **kw)  # type: ignore[arg-type]


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return _client(tmp_path)


@pytest.fixture
def keyed(tmp_path: Path) -> TestClient:
    return _client(tmp_path, [KEY])


def _chat(client: TestClient, text: str, **extra: object) -> dict:
    headers = extra.pop("headers", {})
    r = client.post("/v1/chat/completions", json={"model": "zhanggui", "messages": [{"role": "user", "content": text}],
                                                  **extra}, headers=headers)  # type: ignore[arg-type]
    assert r.status_code == 200, r.text
    return r.json()


def test_health_models_docs_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/v1/models").json()["data"][0]["id"] == "zhanggui"
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 200
    client.get("/healthz")
    assert "zhanggui_http_requests" in client.get("/metrics").text


def test_chat_completion_with_citations_and_follow_up(client: TestClient) -> None:
    body = _chat(client, "双十一预热期该做什么?")
    assert body["object"] == "chat.completion"
    content = body["choices"][0]["message"]["content"]
    extra = body["zhanggui"]
    assert "来源" in content  # citations in the text …
    assert extra["citations"] and extra["citations"][0]["source"].endswith(".md")  # … and as data
    assert extra["intent"] == "knowledge" and extra["mode"] == "offline"
    follow = _chat(client, "那私域社群怎么提升复购?", conversation_id=extra["conversation_id"])
    assert follow["zhanggui"]["conversation_id"] == extra["conversation_id"]
    history = client.get(f"/api/conversations/{extra['conversation_id']}").json()["messages"]
    assert len(history) == 4


def test_resent_history_stays_in_one_conversation(client: TestClient) -> None:
    """Chat UIs resend the whole history without an id; the first message names the thread."""
    first = _chat(client, "转化率")
    assert first["zhanggui"]["intent"] == "clarify"
    messages = [{"role": "user", "content": "转化率"},
                {"role": "assistant", "content": first["choices"][0]["message"]["content"]},
                {"role": "user", "content": "1"}]
    r = client.post("/v1/chat/completions", json={"messages": messages}).json()
    assert r["zhanggui"]["conversation_id"] == first["zhanggui"]["conversation_id"]
    assert r["zhanggui"]["intent"] == "knowledge"


def test_streaming_chat(client: TestClient) -> None:
    with client.stream("POST", "/v1/chat/completions",
                       json={"messages": [{"role": "user", "content": "双十一预热期该做什么?"}], "stream": True}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in r.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line[6:]) for line in lines[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert "来源" in text
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["zhanggui"]["citations"]


BAD_CHAT = [
    # (raw body, status, error code)
    (b"{not json", 400, "bad_input"),
    (b'{"messages": []}', 422, "bad_input"),
    (b'{"model": "zhanggui"}', 422, "bad_input"),
    (b'{"messages": [{"role": "user", "content": ""}]}', 400, "bad_input"),
    (b'{"messages": [{"role": "system", "content": "hi"}]}', 400, "bad_input"),
    (json.dumps({"messages": [{"role": "user", "content": "好" * 301}]}).encode(), 413, "too_large"),
    (json.dumps({"messages": [{"role": "user", "content": "x" * 2_100_000}]}).encode(), 413, "too_large"),
    (b'{"messages": [{"role": "user", "content": "hi"}], "conversation_id": "6a1f6f1e-0000-4000-8000-000000000000"}',
     404, "not_found"),
]


@pytest.mark.parametrize(("raw", "status", "code"), BAD_CHAT)
def test_bad_chat_requests(client: TestClient, raw: bytes, status: int, code: str) -> None:
    r = client.post("/v1/chat/completions", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == status
    error = r.json()["error"]
    assert error["code"] == code and error["message"]


@pytest.mark.parametrize(("headers", "status"), [
    ({}, 401),
    ({"Authorization": "Bearer wrong"}, 401),
    ({"Authorization": f"Basic {KEY}"}, 401),
    ({"Authorization": f"Bearer {KEY}"}, 200),
])
def test_api_keys(keyed: TestClient, headers: dict, status: int) -> None:
    assert keyed.get("/v1/models", headers=headers).status_code == status
    r = keyed.post("/api/search", json={"query": "预热期", "k": 2}, headers=headers)
    assert r.status_code == status
    if status == 401:
        assert r.json()["error"] == "unauthorized" and r.headers["www-authenticate"] == "Bearer"
    assert keyed.get("/healthz").status_code == 200  # health stays open for load balancers


def test_no_key_means_local_only(tmp_path: Path) -> None:
    remote = _client(tmp_path, client=("203.0.113.7", 40000))
    r = remote.get("/v1/models")
    assert r.status_code == 403 and "本机" in r.json()["error"]["message"]
    local = _client(tmp_path, client=("127.0.0.1", 40000))
    assert local.get("/v1/models").status_code == 200


def test_tool_not_allowed_for_role_is_403(client: TestClient) -> None:
    r = client.post("/v1/chat/completions", headers={"X-Zhanggui-User": "carl"},
                    json={"messages": [{"role": "user", "content": "上个月各渠道的GMV是多少"}]})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden" and "run_analytics" in r.json()["error"]["message"]
    r = client.post("/api/sql", headers={"X-Zhanggui-User": "carl"}, json={"question": "上个月GMV是多少"})
    assert r.status_code == 403 and r.json()["error"] == "forbidden"


def test_ask_and_search_mirror_the_command_line(client: TestClient, tmp_path: Path) -> None:
    from knowledge.answer import answer_question
    from knowledge.base import KnowledgeBase

    kb = KnowledgeBase.from_settings(make_settings(tmp_path))
    ask = client.post("/api/ask", json={"question": "双十一预热期该做什么?"})
    assert ask.status_code == 200
    assert ask.json() == json.loads(json.dumps(answer_question(kb, "双十一预热期该做什么?").to_dict()))
    search = client.post("/api/search", json={"query": "七天无理由退货", "k": 3})
    assert search.json() == json.loads(json.dumps([h.to_dict() for h in kb.search("七天无理由退货", k=3)]))
    assert len(search.json()) == 3


@pytest.mark.parametrize(("path", "body", "status"), [
    ("/api/ask", {"question": ""}, 400),
    ("/api/ask", {}, 422),
    ("/api/ask", {"question": "好" * 301}, 413),
    ("/api/search", {"query": "预热", "k": 0}, 422),
    ("/api/search", {"query": " "}, 400),
    ("/api/compliance/check", {"text": ""}, 400),
    ("/api/feedback", {"request_id": "no-such-request", "vote": "up"}, 404),
])
def test_bad_rest_requests(client: TestClient, path: str, body: dict, status: int) -> None:
    r = client.post(path, json=body)
    assert r.status_code == status
    assert r.json()["message"]


def test_feedback_is_stored_beside_the_audit_log(client: TestClient) -> None:
    body = _chat(client, "双十一预热期该做什么?")
    request_id = body["zhanggui"]["request_id"]
    r = client.post("/api/feedback", json={"request_id": request_id, "vote": "down", "comment": "引用不够具体"})
    assert r.status_code == 200 and r.json()["vote"] == "down"
    assert client.post("/api/feedback", json={"request_id": request_id, "vote": "meh"}).status_code == 400
    engine = client.app.state.engine  # type: ignore[attr-defined]
    stored = engine.audit.feedback()
    assert stored[-1]["request_id"] == request_id and stored[-1]["vote"] == -1
    kinds = [e["kind"] for e in engine.audit.events(request_id=request_id)]
    assert kinds[0] == "request" and "tool" in kinds and kinds[-1] == "reply"


def test_a_key_bound_to_a_user_cannot_claim_another(tmp_path: Path) -> None:
    client = _client(tmp_path, ["carl=sk-carl", "sk-shared"])
    as_carl = {"Authorization": "Bearer sk-carl", "X-Zhanggui-User": "ana"}  # carl's key, claiming to be ana
    r = client.post("/api/sql", json={"question": "上个月GMV是多少"}, headers=as_carl)
    assert r.status_code == 403 and "cs_agent" in r.json()["message"]
    shared = {"Authorization": "Bearer sk-shared", "X-Zhanggui-User": "ana"}  # a bare key trusts the header
    assert client.post("/api/sql", json={"question": "上个月GMV是多少"}, headers=shared).status_code != 403
    assert client.get("/v1/models", headers={"Authorization": "Bearer carl=sk-carl"}).status_code == 401
