"""sluicegate inside LiteLLM's real proxy: a subprocess, driven with the openai
SDK, in front of the served mock upstream. (The guardrail in LiteLLM's SDK
and its own hooks, in process: tests/proxy/integrations/litellm/.)

The LiteLLM tests skip when LiteLLM (with its proxy extra) is not installed in
this interpreter: ``pip install -e ".[test,litellm]"``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from sluicegate.proxy.payloads.openai import CONTENT_POLICY_NOTE
from tests.proxy.integrations.litellm.support import (
    INJECTION,
    LITELLM_ENV,
    POLICY_YAML,
    chat_posts,
    requires_litellm,
)
from tests.support.servers import MockUpstream, Reply, chat_reply, chat_stream

MASTER_KEY = "sk-litellm-test"
START_TIMEOUT_S = 120.0


# A LiteLLM callback that writes what LiteLLM logs about guardrails, one line a call.
CAPTURE_PY = """\
import json, os
from litellm.integrations.custom_logger import CustomLogger

class Capture(CustomLogger):
    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        self._write(kwargs, "success")

    async def async_log_failure_event(self, kwargs, response_obj, start_time, end_time):
        self._write(kwargs, "failure")

    def _write(self, kwargs, status):
        slo = kwargs.get("standard_logging_object") or {}
        line = {"status": status, "call_id": kwargs.get("litellm_call_id"),
                "guardrail_information": slo.get("guardrail_information")}
        with open(os.environ["SLUICEGATE_CAPTURE"], "a") as f:
            f.write(json.dumps(line, default=str) + "\\n")

handler = Capture()
"""

# The during_call guardrail's own policy: things the default_on one lets through.
DURING_YAML = """\
version: 1
guards:
  words: {type: keywords, categories: {plan: ["secret plan"], codename: ["bluebird"]}}
rules:
  - name: block-plan
    when: scores["words.plan"] > 0
    action: block
    message: "Blocked during call."
  - {name: redact-codename, when: 'scores["words.codename"] > 0', action: redact}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiteLLMProxy:
    """``litellm --config`` in its own process group on a loopback port."""

    def __init__(self, workdir: Path, upstream_url: str) -> None:
        self.workdir = workdir
        self.capture = workdir / "capture.jsonl"
        (workdir / "capture.py").write_text(CAPTURE_PY)
        (workdir / "policy.yaml").write_text(POLICY_YAML)
        (workdir / "during.yaml").write_text(DURING_YAML)
        guardrail = "sluicegate.proxy.integrations.litellm.SluicegateGuardrail"
        config = {
            "model_list": [
                {
                    "model_name": "mock-model",
                    "litellm_params": {
                        "model": "openai/mock-model",
                        "api_base": f"{upstream_url}/v1",
                        "api_key": "sk-upstream",
                    },
                }
            ],
            "litellm_settings": {
                "telemetry": False,
                "callbacks": ["capture.handler"],
                "num_retries": 0,
            },
            # One mock deployment: a test's upstream error must not bench it for the next.
            "router_settings": {"disable_cooldowns": True},
            "guardrails": [
                {
                    "guardrail_name": "sluicegate",
                    "litellm_params": {
                        "guardrail": guardrail,
                        "mode": ["pre_call", "post_call"],
                        "default_on": True,
                        "policy": str(workdir / "policy.yaml"),
                    },
                },
                {
                    "guardrail_name": "sluicegate-during",
                    "litellm_params": {
                        "guardrail": guardrail,
                        "mode": "during_call",
                        "policy": str(workdir / "during.yaml"),
                    },
                },
            ],
        }
        (workdir / "config.yaml").write_text(json.dumps(config))  # JSON is YAML
        self.port = free_port()
        env = {
            **os.environ,
            **LITELLM_ENV,
            "LITELLM_MASTER_KEY": MASTER_KEY,
            "SLUICEGATE_CAPTURE": str(self.capture),
        }
        env.pop("DATABASE_URL", None)
        self.log_path = workdir / "litellm.log"
        self._log = self.log_path.open("wb")
        argv = [sys.executable, "-m", "litellm.proxy.proxy_cli", "--config", "config.yaml"]
        self.process = subprocess.Popen(
            [*argv, "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"litellm exited with {self.process.returncode}:\n{self.tail()}")
            try:
                if httpx.get(f"{self.url}/health/liveliness", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"litellm not ready after {timeout_s:.0f} s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            if self.process.poll() is not None:
                break
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(wait)
            except subprocess.TimeoutExpired:
                continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)  # anything left in its group
        self._log.close()

    def client(self) -> openai.OpenAI:
        return openai.OpenAI(
            base_url=f"{self.url}/v1", api_key=MASTER_KEY, max_retries=0, timeout=30
        )

    def logged(self, count: int, timeout_s: float = 15.0) -> list[dict[str, Any]]:
        """The callback's lines, once there are ``count`` of them (logging is async)."""
        deadline = time.monotonic() + timeout_s
        lines: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            if self.capture.exists():
                lines = [json.loads(x) for x in self.capture.read_text().splitlines() if x]
                if len(lines) >= count:
                    return lines
            time.sleep(0.05)
        raise AssertionError(f"expected {count} logged calls, got {len(lines)}")

    def reset_log(self) -> None:
        self.capture.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def litellm_proxy(
    _upstream_server: tuple[MockUpstream, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiteLLMProxy]:
    _, url = _upstream_server
    proxy = LiteLLMProxy(tmp_path_factory.mktemp("litellm"), url)
    try:
        proxy.wait_ready(START_TIMEOUT_S)
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
def proxy(litellm_proxy: LiteLLMProxy, upstream: MockUpstream) -> LiteLLMProxy:
    litellm_proxy.reset_log()
    return litellm_proxy


def entries(line: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A logged call's sluicegate entries by mode (pre_call, post_call, during_call)."""
    out = {}
    for entry in line["guardrail_information"] or []:
        if entry["guardrail_provider"] == "sluicegate":
            out[str(entry["guardrail_mode"]).rsplit(".", 1)[-1]] = entry
    return out


# -- the proxy -----------------------------------------------------------------


@pytest.mark.slow
@requires_litellm
def test_proxy_allows_and_logs_the_decision(proxy: LiteLLMProxy, upstream: MockUpstream) -> None:
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    raw = proxy.client().chat.completions.with_raw_response.create(
        model="mock-model", messages=messages
    )
    reply = raw.parse()
    assert reply.choices[0].message.content == "Hello from the mock upstream."
    assert raw.headers["x-sluicegate-decision"] == "allow"
    assert "sluicegate" in raw.headers["x-litellm-applied-guardrails"]
    [sent] = chat_posts(upstream)
    assert sent.body["messages"] == messages
    assert "sluicegate" not in json.dumps(sent.body)  # our bookkeeping stays in LiteLLM
    [line] = proxy.logged(1)
    logged = entries(line)
    assert logged["pre_call"]["guardrail_response"]["decision"] == "allow"
    assert logged["pre_call"]["guardrail_status"] == "success"
    assert logged["post_call"]["guardrail_response"]["stage"] == "output"
    assert set(logged["pre_call"]["guardrail_response"]["guard_latency_ms"]) == {
        "pii",
        "secrets",
        "injection",
        "words",
    }


@pytest.mark.slow
@requires_litellm
def test_proxy_input_block_is_a_content_filter_400_and_never_goes_upstream(
    proxy: LiteLLMProxy, upstream: MockUpstream
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        proxy.client().chat.completions.create(
            model="mock-model", messages=[{"role": "user", "content": INJECTION}]
        )
    error = caught.value
    assert error.status_code == 400
    # The gateway's own body for a blocked input: Azure's content-filter shape.
    assert error.body == {
        "message": "Request blocked by policy: prompt injection. " + CONTENT_POLICY_NOTE,
        "type": "invalid_request_error",
        "param": "messages",
        "code": "content_filter",
        "innererror": {"code": "ResponsibleAIPolicyViolation"},
    }
    assert error.response.headers["x-sluicegate-decision"] == "block"
    assert chat_posts(upstream) == []
    [line] = proxy.logged(1)
    pre = entries(line)["pre_call"]
    assert pre["guardrail_status"] == "guardrail_intervened"
    assert pre["guardrail_response"]["rules"] == ["block-injection"]
    assert pre["guardrail_response"]["scores"]["injection"] >= 0.8


@pytest.mark.slow
@requires_litellm
def test_proxy_redacts_the_request_before_it_leaves(
    proxy: LiteLLMProxy, upstream: MockUpstream
) -> None:
    raw = proxy.client().chat.completions.with_raw_response.create(
        model="mock-model",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Mail jane.doe@example.com, card 4111 1111 1111 1111."},
        ],
    )
    assert raw.headers["x-sluicegate-decision"] == "redact"
    [sent] = chat_posts(upstream)
    assert sent.body["messages"][1]["content"] == "Mail [EMAIL], card [CREDIT_CARD]."
    assert "jane.doe" not in json.dumps(sent.body)
    [line] = proxy.logged(1)
    pre = entries(line)["pre_call"]
    assert pre["guardrail_response"]["decision"] == "redact"
    assert pre["guardrail_response"]["scores"]["pii.email"] == 1.0
    assert pre["masked_entity_count"] == {"[EMAIL]": 1, "[CREDIT_CARD]": 1}


@pytest.mark.slow
@requires_litellm
def test_proxy_guards_whole_answers(proxy: LiteLLMProxy, upstream: MockUpstream) -> None:
    client = proxy.client()
    messages = [{"role": "user", "content": "hi"}]
    upstream.push(chat_reply("Reach me at bob@example.org."))
    redacted = client.chat.completions.create(model="mock-model", messages=messages)
    assert redacted.choices[0].message.content == "Reach me at [EMAIL]."
    upstream.push(chat_reply("Sure, here is a forbidden phrase for you."))
    raw = client.chat.completions.with_raw_response.create(model="mock-model", messages=messages)
    blocked = raw.parse()
    assert blocked.choices[0].finish_reason == "content_filter"
    assert blocked.choices[0].message.content == "Withheld: forbidden phrase."
    assert raw.headers["x-sluicegate-decision"] == "block"
    lines = proxy.logged(2)
    outputs = sorted(entries(x)["post_call"]["guardrail_response"]["decision"] for x in lines)
    assert outputs == ["block", "redact"]


def stream_text(stream: Any) -> tuple[str, list[str | None]]:
    text, finishes = "", []
    for chunk in stream:
        for choice in chunk.choices:
            text += choice.delta.content or ""
            finishes.append(choice.finish_reason)
    return text, finishes


@pytest.mark.slow
@requires_litellm
def test_proxy_stream_is_redacted_window_by_window(
    proxy: LiteLLMProxy, upstream: MockUpstream
) -> None:
    # The address is split over chunks, and the first window closes inside it.
    pieces = ["Sure. Write to jane.", "doe@exa", "mple.com whenever you like; ", "ok " * 40]
    upstream.push(chat_stream(pieces))
    stream = proxy.client().chat.completions.create(
        model="mock-model", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    text, finishes = stream_text(stream)
    assert text == "Sure. Write to [EMAIL] whenever you like; " + "ok " * 40
    assert finishes[-1] == "stop"
    [line] = proxy.logged(1)
    post = entries(line)["post_call"]["guardrail_response"]
    assert post["mode"] == "window"
    assert post["decision"] == "redact"


@pytest.mark.slow
@requires_litellm
def test_proxy_stream_block_ends_the_choice(proxy: LiteLLMProxy, upstream: MockUpstream) -> None:
    pieces = ["The first part is fine and long enough to pass a window. " * 3]
    pieces += ["Then comes a forbidden ", "phrase, and more text. ", "tail " * 30]
    upstream.push(chat_stream(pieces))
    stream = proxy.client().chat.completions.create(
        model="mock-model", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    text, finishes = stream_text(stream)
    assert text.endswith("Withheld: forbidden phrase.")
    sent = text.removesuffix("Withheld: forbidden phrase.")
    assert sent.startswith("The first part is fine")  # released before the block
    assert "forbidden" not in sent
    assert finishes[-1] == "content_filter"
    [line] = proxy.logged(1)
    post = entries(line)["post_call"]
    assert post["guardrail_status"] == "guardrail_intervened"
    assert post["guardrail_response"]["rules"] == ["block-words"]


@pytest.mark.slow
@requires_litellm
def test_proxy_during_call_guardrail_blocks(proxy: LiteLLMProxy, upstream: MockUpstream) -> None:
    client = proxy.client()
    during = {"guardrails": ["sluicegate-during"]}  # asked for per request
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="mock-model",
            messages=[{"role": "user", "content": "Tell me the secret plan."}],
            extra_body=during,
        )
    assert caught.value.body["code"] == "content_filter"
    assert caught.value.body["message"] == "Blocked during call. " + CONTENT_POLICY_NOTE
    # It runs beside the upstream call, so it cannot rewrite: a redaction blocks.
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="mock-model",
            messages=[{"role": "user", "content": "Operation bluebird starts now."}],
            extra_body=during,
        )
    assert caught.value.body["code"] == "content_filter"
    assert "during_call" in caught.value.body["message"]
    # Not asked for: not run.
    reply = client.chat.completions.create(
        model="mock-model", messages=[{"role": "user", "content": "Tell me the secret plan."}]
    )
    assert reply.choices[0].message.content == "Hello from the mock upstream."


@pytest.mark.slow
@requires_litellm
def test_proxy_guards_legacy_completions(proxy: LiteLLMProxy, upstream: MockUpstream) -> None:
    head = {"id": "cmpl-1", "object": "text_completion", "created": 1, "model": "mock-model"}
    choice = {"index": 0, "text": "mail alice@example.com", "finish_reason": "stop"}
    upstream.push(Reply(body={**head, "choices": [choice]}))
    client = proxy.client()
    reply = client.completions.create(model="mock-model", prompt="write to bob@example.org")
    assert reply.choices[0].text == "mail [EMAIL]"
    assert chat_posts(upstream)[-1].body["prompt"] == "write to [EMAIL]"
    pieces = ["Write to jane.", "doe@example.com today. ", "ok " * 30]
    events: list[Any] = [
        {**head, "choices": [{"index": 0, "text": p, "finish_reason": None}]} for p in pieces
    ]
    events += [{**head, "choices": [{"index": 0, "text": "", "finish_reason": "stop"}]}, "[DONE]"]
    upstream.push(Reply(events=events))
    stream = client.completions.create(model="mock-model", prompt="hi", stream=True)
    text = "".join(c.choices[0].text for c in stream if c.choices)
    assert text == "Write to [EMAIL] today. " + "ok " * 30


def responses_reply(text: str) -> Reply:
    """A Responses API answer: LiteLLM 1.108 serves /v1/messages for an
    ``openai/`` model through the upstream's /v1/responses."""
    message = {
        "type": "message",
        "id": "msg_1",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }
    return Reply(
        body={
            "id": "resp_1",
            "object": "response",
            "created_at": 1,
            "status": "completed",
            "model": "mock-model",
            "output": [message],
            "usage": {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3},
        }
    )


@pytest.mark.slow
@requires_litellm
def test_proxy_other_routes_go_through_apply_guardrail(
    proxy: LiteLLMProxy, upstream: MockUpstream
) -> None:
    """Anthropic's /v1/messages: LiteLLM's translation layer hands the texts
    to apply_guardrail, both ways."""
    http = httpx.Client(base_url=proxy.url, headers={"authorization": f"Bearer {MASTER_KEY}"})
    with http:
        body = {"model": "mock-model", "max_tokens": 50}
        upstream.push(responses_reply("Reach me at alice@example.com"))
        reply = http.post(
            "/v1/messages",
            json={**body, "messages": [{"role": "user", "content": "mail bob@example.org"}]},
            timeout=30,
        )
        assert reply.status_code == 200, reply.text
        assert reply.json()["content"][0]["text"] == "Reach me at [EMAIL]"
        assert reply.headers["x-sluicegate-decision"] == "redact"
        sent = json.dumps(chat_posts(upstream)[-1].body)
        assert "[EMAIL]" in sent
        assert "bob@example.org" not in sent

        posts = len(chat_posts(upstream))
        blocked = http.post(
            "/v1/messages",
            json={**body, "messages": [{"role": "user", "content": INJECTION}]},
            timeout=30,
        )
        assert blocked.status_code == 400
        assert blocked.json()["error"]["message"] == (
            "Request blocked by policy: prompt injection. " + CONTENT_POLICY_NOTE
        )
        assert len(chat_posts(upstream)) == posts

        upstream.push(responses_reply("Here is a forbidden phrase."))
        withheld = http.post(
            "/v1/messages",
            json={**body, "messages": [{"role": "user", "content": "hi"}]},
            timeout=30,
        )
        assert withheld.status_code == 200
        assert withheld.json()["content"][0]["text"] == "Withheld: forbidden phrase."
