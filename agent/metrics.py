"""Prometheus metrics, in one registry of our own (served by the HTTP API at /metrics)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter("zhanggui_agent_requests", "Messages handled by the engine", ["intent", "mode"], registry=REGISTRY)
TOOL_CALLS = Counter("zhanggui_tool_calls", "Tool calls", ["tool", "outcome"], registry=REGISTRY)
TOOL_SECONDS = Histogram("zhanggui_tool_seconds", "Tool call duration", ["tool"], registry=REGISTRY)
LLM_FALLBACKS = Counter("zhanggui_llm_fallbacks", "LLM failures answered in offline mode", ["reason"], registry=REGISTRY)
HTTP_REQUESTS = Counter("zhanggui_http_requests", "HTTP requests", ["path", "status"], registry=REGISTRY)
HTTP_SECONDS = Histogram("zhanggui_http_seconds", "HTTP request duration", ["path"], registry=REGISTRY)
