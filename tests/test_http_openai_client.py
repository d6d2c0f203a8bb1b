"""Any OpenAI client can use Zhanggui as a model: the real `openai` client against `zhanggui serve`."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
import uvicorn

from connectors.http import create_app
from tests.agent_support import make_settings

KEY = "sk-zhanggui-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = make_settings(tmp_path_factory.mktemp("serve"), api_keys=[KEY])
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "the test server did not start"
    yield f"http://127.0.0.1:{port}/v1"
    server.should_exit = True
    thread.join(timeout=10)


def test_models_and_chat(base_url: str) -> None:
    client = openai.OpenAI(base_url=base_url, api_key=KEY, max_retries=0)
    assert [m.id for m in client.models.list()] == ["zhanggui"]
    completion = client.chat.completions.create(model="zhanggui",
                                                messages=[{"role": "user", "content": "双十一预热期该做什么?"}])
    assert "来源" in completion.choices[0].message.content
    extra = completion.model_extra["zhanggui"]
    assert extra["citations"] and extra["intent"] == "knowledge"


def test_streaming(base_url: str) -> None:
    client = openai.OpenAI(base_url=base_url, api_key=KEY, max_retries=0)
    stream = client.chat.completions.create(model="zhanggui", stream=True,
                                            messages=[{"role": "user", "content": "七天无理由退货有哪些例外?"}])
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text and chunks[-1].choices[0].finish_reason == "stop"
    assert "citations" in chunks[-1].model_extra["zhanggui"]


@pytest.mark.parametrize(("key", "error"), [("wrong", openai.AuthenticationError)])
def test_wrong_key(base_url: str, key: str, error: type) -> None:
    client = openai.OpenAI(base_url=base_url, api_key=key, max_retries=0)
    with pytest.raises(error) as info:
        client.models.list()
    assert "API key" in str(info.value)


def test_errors_reach_the_client_readably(base_url: str) -> None:
    client = openai.OpenAI(base_url=base_url, api_key=KEY, max_retries=0)
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="zhanggui", messages=[{"role": "user", "content": " "}])
    assert "消息是空的" in str(info.value)
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="zhanggui", messages=[{"role": "user", "content": "你好"}],
                                       extra_body={"conversation_id": "6a1f6f1e-0000-4000-8000-000000000000"})
