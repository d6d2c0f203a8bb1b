"""Compliance over HTTP: single check and a JSONL batch upload, same JSON as the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from connectors.http import create_app
from tests.agent_support import make_settings

compliance = pytest.importorskip("tools.compliance", reason="the compliance engine is not installed")


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return TestClient(create_app(make_settings(tmp_path)))


def test_check_matches_library(client: TestClient) -> None:
    text = "全网最低价，史上最好用的面膜"
    r = client.post("/api/compliance/check", json={"text": text})
    assert r.status_code == 200
    assert r.json() == json.loads(json.dumps(compliance.check_text(text).model_dump(mode="json")))
    assert r.json()["verdict"] == "block"


def test_unknown_category_lists_valid_ones(client: TestClient) -> None:
    r = client.post("/api/compliance/check", json={"text": "最好用的面霜", "category": "spaceships"})
    assert r.status_code == 400
    assert any(c in r.json()["message"] + r.json().get("hint", "") for c in compliance.valid_categories())


def test_batch_upload_keeps_going_past_bad_lines(client: TestClient) -> None:
    lines = [
        json.dumps({"id": "a", "text": "史上最好用的面膜"}, ensure_ascii=False).encode(),
        b'{"id": "b", "text": broken',
        "\xff\xfe not utf-8".encode("latin-1"),
        json.dumps({"id": "c", "text": "温和清洁，适合日常使用"}, ensure_ascii=False).encode(),
    ]
    r = client.post("/api/compliance/batch", content=b"\n".join(lines), headers={"content-type": "application/x-ndjson"})
    assert r.status_code == 200
    body = r.json()
    assert body["lines"] == 4 and body["errors"] == 2
    by_line = {row["line"]: row for row in body["results"]}
    assert by_line[1]["verdict"] == "block" and by_line[1]["id"] == "a"
    assert by_line[2]["error"] == "bad_input" and by_line[3]["error"] == "bad_input"
    assert by_line[4]["id"] == "c" and "verdict" in by_line[4]


def test_empty_batch_is_an_error(client: TestClient) -> None:
    r = client.post("/api/compliance/batch", content=b"\n\n")
    assert r.status_code == 400
