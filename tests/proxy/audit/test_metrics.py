"""GET /metrics: counts read off each finished audit record, parsed with
prometheus-client's own text parser."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from sluicegate.proxy.config import GatewayConfig
from sluicegate.proxy.http.app import create_app

POLICY = """\
version: 1
guards:
  pii: {type: pii, entities: [email]}
  words: {type: keywords, categories: {plan: ["secret plan"]}}
rules:
  - name: block-plan
    stage: input
    when: scores["words.plan"] > 0.0
    action: block
  - name: redact-pii
    when: findings.exists(f, f.guard == "pii")
    action: redact
    redact: [pii]
"""


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(parsed: dict[Any, float], name: str, **labels: str) -> float:
    return parsed.get((name, frozenset(labels.items())), 0.0)


def chat(text: str) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "id": "c",
            "object": "chat.completion",
            "created": 1,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
        },
    )


def upstream(request: httpx.Request) -> httpx.Response:
    if request.url.path.startswith("/v1/models/"):
        return httpx.Response(200, json={"id": request.url.path.rsplit("/", 1)[1]})
    return chat("reply to ann@example.com")


async def test_requests_decisions_rules_and_guards_are_counted(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY)
    config = GatewayConfig.model_validate(
        {
            "hot_reload": False,
            "upstream": {"url": "http://upstream.test"},
            "policies": {"default": str(policy)},
            "audit": {"path": None},  # metrics do not need the audit line
        }
    )
    app = create_app(config, transport=httpx.MockTransport(upstream))
    body = {"model": "client-model-name", "messages": [{"role": "user", "content": "hello"}]}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            for _ in range(2):
                assert (await client.post("/v1/chat/completions", json=body)).status_code == 200
            blocked = {**body, "messages": [{"role": "user", "content": "the secret plan"}]}
            assert (await client.post("/v1/chat/completions", json=blocked)).status_code == 400
            for model in ("a", "b"):
                assert (await client.get(f"/v1/models/{model}")).status_code == 200
            reply = await client.get("/metrics")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/plain")
    parsed = samples(reply.text)
    route = "/v1/chat/completions"
    assert value(parsed, "sluicegate_requests_total", route=route, status="200") == 2
    assert value(parsed, "sluicegate_requests_total", route=route, status="400") == 1
    # One label per route template, not per model id.
    models = "/v1/models/{model:path}"
    assert value(parsed, "sluicegate_requests_total", route=models, status="200") == 2
    assert (
        value(parsed, "sluicegate_decisions_total", stage="input", action="block", policy="default")
        == 1
    )
    assert (
        value(parsed, "sluicegate_decisions_total", stage="input", action="allow", policy="default")
        == 2
    )
    # Each allowed answer mailed an address: redacted on the way out.
    assert (
        value(
            parsed, "sluicegate_decisions_total", stage="output", action="redact", policy="default"
        )
        == 2
    )
    assert (
        value(
            parsed,
            "sluicegate_rule_matches_total",
            stage="input",
            rule="block-plan",
            policy="default",
        )
        == 1
    )
    assert (
        value(
            parsed,
            "sluicegate_rule_matches_total",
            stage="output",
            rule="redact-pii",
            policy="default",
        )
        == 2
    )
    for guard in ("pii", "words"):
        count = value(
            parsed,
            "sluicegate_guard_duration_seconds_count",
            stage="input",
            guard=guard,
            policy="default",
        )
        assert count == 3
    assert value(parsed, "sluicegate_upstream_duration_seconds_count", route=route) == 2
    assert value(parsed, "sluicegate_request_duration_seconds_count", route=route) == 3
    # No client-sent model name appears in any label.
    assert "client-model-name" not in reply.text


async def test_metrics_can_be_turned_off() -> None:
    config = GatewayConfig.model_validate(
        {"hot_reload": False, "metrics": False, "audit": {"path": None}}
    )
    app = create_app(config)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            assert (await client.get("/metrics")).status_code == 404


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_workers_share_one_count(tmp_path: Path) -> None:
    """``serve --workers 2``: any worker's /metrics counts every worker's requests."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    process = subprocess.Popen(
        [sys.executable, "-m", "sluicegate.proxy", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise AssertionError("the gateway did not start")
            time.sleep(0.2)
        body = {"model": "demo", "messages": [{"role": "user", "content": "hi"}]}
        sent = 12
        for _ in range(sent):
            # A new connection each time, so both workers take some.
            with httpx.Client(base_url=base, timeout=10) as client:
                assert client.post("/v1/chat/completions", json=body).status_code == 200
        for _ in range(3):  # whichever worker answers, the sum is the same
            with httpx.Client(base_url=base, timeout=10) as client:
                parsed = samples(client.get("/metrics").text)
            count = value(
                parsed, "sluicegate_requests_total", route="/v1/chat/completions", status="200"
            )
            assert count == sent
    finally:
        process.terminate()
        process.wait(timeout=20)
