"""Token-id input (embeddings and completions): decoded with the model's
tiktoken encoding and guarded as text; unscanned without one."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import openai
import orjson
import pytest
import tiktoken

from sluicegate.policies.loader import PolicyLoader
from sluicegate.proxy.audit import AuditLog
from sluicegate.proxy.config import GatewayConfig
from sluicegate.proxy.http.app import create_app
from sluicegate.proxy.payloads.tokens import TokenizerRegistry
from sluicegate.proxy.policy_store import PolicyStore
from tests.conftest import GatewayFactory
from tests.support.guards import trigger_registry
from tests.support.servers import MockUpstream, Reply, serve

POLICY = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad, "jane@example.com": email}}
rules:
  - {name: block-bad, when: 'scores["t.bad"] > 0.5', action: block}
  - {name: redact, when: 'scores["t.email"] > 0.5', action: redact}
"""
EMBEDDING = Reply(
    body={
        "object": "list",
        "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2]}],
        "model": "m",
        "usage": {"prompt_tokens": 1, "total_tokens": 1},
    }
)
COMPLETION = Reply(
    body={
        "id": "c",
        "object": "text_completion",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "text": "ok", "finish_reason": "stop", "logprobs": None}],
    }
)


def byte_encoding(name: str) -> tiktoken.Encoding:
    """A real tiktoken Encoding with one token per byte (no BPE file needed):
    the ids of a text are its UTF-8 bytes."""
    return tiktoken.Encoding(
        name=name,
        pat_str=r"\S+|\s+",
        mergeable_ranks={bytes([i]): i for i in range(256)},
        special_tokens={"<|endoftext|>": 256},
    )


def ids(text: str) -> list[int]:
    return list(text.encode())


class TokenGateway:
    def __init__(self, url: str, stream: io.BytesIO, stack: ExitStack) -> None:
        self.url = url
        self.stream = stream
        self.stack = stack

    def client(self) -> openai.OpenAI:
        client = openai.OpenAI(base_url=f"{self.url}/v1", api_key="x", max_retries=0, timeout=10)
        self.stack.callback(client.close)
        return client

    def audit(self) -> list[dict[str, Any]]:
        return [orjson.loads(line) for line in self.stream.getvalue().splitlines()]


@pytest.fixture
def start(upstream: MockUpstream, tmp_path: Path) -> Iterator[Any]:
    with ExitStack() as stack:

        def run(policy: str = POLICY, **settings: Any) -> TokenGateway:
            path = tmp_path / "policy.yaml"
            path.write_text(policy, encoding="utf-8")
            cfg = GatewayConfig.model_validate(
                {
                    "upstream": {"url": upstream.url},  # type: ignore[attr-defined]
                    "hot_reload": False,
                    "policies": {"default": str(path)},
                    "tokenizers": {"text-embedding-3-small": "tiny", "tok-*": "tiny"},
                    **settings,
                }
            )
            stream = io.BytesIO()
            store = PolicyStore(cfg, PolicyLoader(trigger_registry()))
            app = create_app(
                cfg, store=store, audit=AuditLog(stream=stream), encodings=byte_encoding
            )
            return TokenGateway(stack.enter_context(serve(app)), stream, stack)

        yield run


def test_embedding_token_ids_are_forwarded_unchanged_when_allowed(
    start: Any, upstream: MockUpstream
) -> None:
    gw = start()
    upstream.push(EMBEDDING)
    gw.client().embeddings.create(input=[ids("hello there")], model="text-embedding-3-small")
    assert upstream.requests[0].body["input"] == [ids("hello there")]
    assert "unscanned_parts" not in gw.audit()[-1]["input"]


def test_embedding_token_ids_are_guarded_as_text(start: Any, upstream: MockUpstream) -> None:
    gw = start()
    with pytest.raises(openai.BadRequestError) as info:
        gw.client().embeddings.create(
            input=[ids("fine"), ids("please BLOCKME")], model="text-embedding-3-small"
        )
    assert info.value.code == "content_filter"
    assert upstream.requests == []


def test_redacted_token_ids_are_re_encoded(start: Any, upstream: MockUpstream) -> None:
    gw = start()
    upstream.push(EMBEDDING, COMPLETION)
    gw.client().embeddings.create(input=ids("mail jane@example.com"), model="tok-1")
    assert upstream.requests[0].body["input"] == ids("mail [EMAIL]")
    gw.client().completions.create(model="tok-2", prompt=[ids("x"), ids("to jane@example.com")])
    assert upstream.requests[1].body["prompt"] == [ids("x"), ids("to [EMAIL]")]


def test_completion_token_prompt_is_guarded(start: Any, upstream: MockUpstream) -> None:
    gw = start()
    with pytest.raises(openai.BadRequestError):
        gw.client().completions.create(model="tok-x", prompt=ids("BLOCKME"))
    assert upstream.requests == []


def test_ids_outside_the_encoding_are_a_400(start: Any, upstream: MockUpstream) -> None:
    gw = start()
    for bad in ([[1, 10**12]], [[-1]], [[1, 2], "ok", [True]]):
        with pytest.raises(openai.BadRequestError) as info:
            gw.client().embeddings.create(input=bad, model="tok-1")  # type: ignore[arg-type]
        assert info.value.param == "input"
    assert upstream.requests == []


def test_without_a_tokenizer_token_ids_go_unscanned_and_are_audited(
    gateway: GatewayFactory, upstream: MockUpstream
) -> None:
    gw = gateway(POLICY)
    upstream.push(EMBEDDING)
    gw.client.embeddings.create(input=[[1, 2, 3], [4]], model="m")
    assert upstream.requests[0].body["input"] == [[1, 2, 3], [4]]
    assert gw.audit()[-1]["input"]["unscanned_parts"] == 2
    upstream.push(COMPLETION)
    gw.client.completions.create(model="m", prompt=[1, 2, 3])
    assert upstream.requests[1].body["prompt"] == [1, 2, 3]
    assert gw.audit()[-1]["input"]["unscanned_parts"] == 1


def test_without_a_tokenizer_a_blocking_policy_refuses_token_ids(
    gateway: GatewayFactory, upstream: MockUpstream
) -> None:
    gw = gateway(POLICY + "non_text_content: block\n")
    with pytest.raises(openai.BadRequestError) as info:
        gw.client.embeddings.create(input=[[1, 2, 3]], model="m")
    assert "cannot check" in info.value.message
    assert gw.audit()[-1]["input"]["reason"] == "unscanned_content"
    with pytest.raises(openai.BadRequestError):
        gw.client.completions.create(model="m", prompt=[[1, 2, 3]])
    assert upstream.requests == []


def test_registry_matches_exact_names_before_globs() -> None:
    registry = TokenizerRegistry({"*": "a", "m": "b"}, load=byte_encoding)
    assert registry.for_model("m").name == "b"  # type: ignore[union-attr]
    assert registry.for_model("other").name == "a"  # type: ignore[union-attr]
    assert TokenizerRegistry({"x-*": "a"}, load=byte_encoding).for_model("y") is None


def test_an_encoding_that_cannot_load_fails_at_start_up() -> None:
    def offline(name: str) -> Any:
        raise ConnectionError("no network")

    with pytest.raises(ValueError, match="TIKTOKEN_CACHE_DIR"):
        TokenizerRegistry({"*": "cl100k_base"}, load=offline)


LITELLM_TIKTOKEN = (
    Path(tiktoken.__file__).parent.parent / "litellm" / "litellm_core_utils" / "tokenizers"
)


@pytest.mark.skipif(
    not (LITELLM_TIKTOKEN / "9b5ad71b2ce5302211f9c61530b329a4922fc6a4").exists(),
    reason="no offline cl100k_base file (LiteLLM ships one)",
)
def test_real_cl100k_base_from_a_cache_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(LITELLM_TIKTOKEN))
    tokenizer = TokenizerRegistry({"*": "cl100k_base"}).for_model("text-embedding-3-small")
    assert tokenizer is not None
    assert tokenizer.decode(tokenizer.encode("hello jane@example.com")) == "hello jane@example.com"
