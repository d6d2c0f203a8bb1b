"""A scriptable fake OpenAI-compatible server on 127.0.0.1, for tests of the LLM brain.

Each POST to ``/v1/chat/completions`` takes the next step of the script:

- ``{"text": "..."}``: a plain answer (streamed as SSE chunks when the request asks to stream);
- ``{"tool_calls": [{"name": ..., "arguments": {...}}]}``: the model calls tools;
- ``{"malformed": True}``: HTTP 200 with a body that is not JSON;
- ``{"status": 500}``: an HTTP error with an OpenAI-style error body;
- ``{"hang": 5.0}``: wait that long before answering (past the client's timeout).

When the script runs out, the server answers ``{"text": "OK"}``. Every request body is
kept in ``requests`` so tests can check what the client sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeOpenAI:
    def __init__(self) -> None:
        self.script: deque[dict[str, Any]] = deque()
        self.requests: list[dict[str, Any]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._counter = 0

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self, *steps: dict[str, Any]) -> None:
        self.script.clear()
        self.script.extend(steps)
        self.requests.clear()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- responses -----------------------------------------------------------------
    def _next_id(self) -> str:
        self._counter += 1
        return f"chatcmpl-fake{self._counter}"

    def _message(self, step: dict[str, Any]) -> dict[str, Any]:
        if "tool_calls" in step:
            calls = [{"id": f"call_{i}_{self._counter}", "type": "function",
                      "function": {"name": c["name"], "arguments": json.dumps(c.get("arguments", {}), ensure_ascii=False)}}
                     for i, c in enumerate(step["tool_calls"])]
            return {"role": "assistant", "content": None, "tool_calls": calls}
        return {"role": "assistant", "content": step.get("text", "OK")}

    def _completion(self, model: str, step: dict[str, Any]) -> dict[str, Any]:
        message = self._message(step)
        return {"id": self._next_id(), "object": "chat.completion", "created": int(time.time()), "model": model,
                "choices": [{"index": 0, "message": message,
                             "finish_reason": "tool_calls" if message.get("tool_calls") else "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}

    def _chunks(self, model: str, step: dict[str, Any]) -> list[dict[str, Any]]:
        cid, created = self._next_id(), int(time.time())

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        message = self._message(step)
        out = [chunk({"role": "assistant", "content": ""})]
        if message.get("tool_calls"):
            for i, call in enumerate(message["tool_calls"]):
                out.append(chunk({"tool_calls": [{"index": i, **call}]}))
            out.append(chunk({}, "tool_calls"))
        else:
            text = message["content"]
            out += [chunk({"content": text[i:i + 5]}) for i in range(0, len(text), 5)]
            out.append(chunk({}, "stop"))
        return out

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
                    pass

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    body = {"object": "list", "data": [{"id": "fake-model", "object": "model", "owned_by": "test"}]}
                    self._send(200, json.dumps(body).encode())
                else:
                    self._send(404, b'{"error": {"message": "not found"}}')

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    request = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    request = {"_raw": raw.decode("utf-8", "replace")}
                fake.requests.append(request)
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, b'{"error": {"message": "not found"}}')
                    return
                step = fake.script.popleft() if fake.script else {"text": "OK"}
                if "hang" in step:
                    time.sleep(float(step["hang"]))
                if "status" in step:
                    body = {"error": {"message": step.get("message", "server error"), "type": "server_error"}}
                    self._send(int(step["status"]), json.dumps(body).encode())
                    return
                if step.get("malformed"):
                    self._send(200, b'{"id": "x", "choices": [ this is not json')
                    return
                model = request.get("model", "fake-model")
                if request.get("stream"):
                    data = "".join(f"data: {json.dumps(c, ensure_ascii=False)}\n\n" for c in fake._chunks(model, step))
                    self._send(200, (data + "data: [DONE]\n\n").encode(), "text/event-stream")
                    return
                self._send(200, json.dumps(fake._completion(model, step), ensure_ascii=False).encode())

        return Handler
