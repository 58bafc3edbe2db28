"""No body makes the gateway answer 500: schemathesis generates requests from
OpenAI's own OpenAPI description for the guarded routes and the model routes.

The spec lives outside the repository (/work/shared/specs, or
$SLUICEGATE_OPENAPI_SPEC); without it the test is skipped. The upstream is a
small fake that answers each route in its real shape (SSE when ``stream`` is
set), so the gateway's output side runs too, not only its request readers;
the gateway listens on a real port, since schemathesis sends over HTTP."""

from __future__ import annotations

import copy
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sluicegate.policies.loader import PolicyLoader
from sluicegate.proxy.audit import AuditLog
from sluicegate.proxy.config import GatewayConfig
from sluicegate.proxy.http.app import create_app
from sluicegate.proxy.policy_store import PolicyStore
from tests.support.guards import trigger_registry
from tests.support.servers import serve

schemathesis = pytest.importorskip("schemathesis")

SPEC = Path(os.environ.get("SLUICEGATE_OPENAPI_SPEC", "/work/shared/specs/openai-openapi.yaml"))
OPERATIONS = [
    ("POST", "/chat/completions"),
    ("POST", "/completions"),
    ("POST", "/embeddings"),
    ("POST", "/responses"),
    ("GET", "/models"),
    ("GET", "/models/{model}"),
]
# Examples per operation and mode; mutated cases need more to reach deep fields
# (150 found a non-string part ``type`` within a few seconds).
EXAMPLES = int(os.environ.get("SLUICEGATE_FUZZ_EXAMPLES", "25"))
MUTATED_EXAMPLES = int(os.environ.get("SLUICEGATE_FUZZ_MUTATED_EXAMPLES", "150"))
POLICY = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad, "jane@example.com": email}}
rules:
  - {name: block-bad, when: 'scores["t.bad"] > 0.5', action: block}
  - {name: redact, when: 'scores["t.email"] > 0.5', action: redact}
"""

CHAT = {
    "id": "chatcmpl-f",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "hi jane@example.com"},
            "finish_reason": "stop",
            "logprobs": None,
        }
    ],
}
TEXT = {
    "id": "cmpl-f",
    "object": "text_completion",
    "created": 1,
    "model": "m",
    "choices": [{"index": 0, "text": "hi", "finish_reason": "stop", "logprobs": None}],
}
EMBEDDINGS = {
    "object": "list",
    "data": [{"object": "embedding", "index": 0, "embedding": [0.0]}],
    "model": "m",
}
RESPONSE = {
    "id": "resp_f",
    "object": "response",
    "created_at": 1,
    "model": "m",
    "status": "completed",
    "output": [
        {
            "type": "message",
            "id": "msg_f",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "hi", "annotations": []}],
        }
    ],
}
MODEL = {"id": "m", "object": "model", "created": 0, "owned_by": "f"}


def _sse(events: list[dict[str, Any]]) -> bytes:
    return b"".join(b"data: " + orjson.dumps(e) + b"\n\n" for e in events) + b"data: [DONE]\n\n"


def _stream(path: str) -> bytes:
    if path.endswith("/chat/completions"):
        head = {k: CHAT[k] for k in ("id", "created", "model")} | {
            "object": "chat.completion.chunk"
        }
        return _sse(
            [
                {**head, "choices": [{"index": 0, "delta": {"content": "hi"}}]},
                {**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
            ]
        )
    if path.endswith("/responses"):
        return b"".join(
            b"event: " + e["type"].encode() + b"\ndata: " + orjson.dumps(e) + b"\n\n"
            for e in [
                {"type": "response.created", "response": {**RESPONSE, "output": []}},
                {"type": "response.completed", "response": RESPONSE},
            ]
        )
    return _sse([{**TEXT, "choices": [{"index": 0, "text": "hi", "finish_reason": "stop"}]}])


async def _fake_upstream(request: Request) -> Response:
    raw = await request.body()
    try:
        body = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        body = None
    path = request.url.path
    if isinstance(body, dict) and body.get("stream") is True:
        return Response(_stream(path), media_type="text/event-stream")
    if path.endswith("/chat/completions"):
        answer: Any = CHAT
    elif path.endswith("/completions"):
        answer = TEXT
    elif path.endswith("/embeddings"):
        answer = EMBEDDINGS
    elif path.endswith("/responses"):
        answer = RESPONSE
    elif path.endswith("/models"):
        answer = {"object": "list", "data": [MODEL]}
    else:
        answer = MODEL
    return Response(orjson.dumps(answer), media_type="application/json")


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    upstream = Starlette(routes=[Route("/{path:path}", _fake_upstream, methods=["GET", "POST"])])
    policy = tmp_path_factory.mktemp("fuzz") / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    cfg = GatewayConfig.model_validate(
        {
            "upstream": {"url": "http://upstream.test"},
            "hot_reload": False,
            "policies": {"default": str(policy)},
            "audit": {"path": None},
        }
    )
    store = PolicyStore(cfg, PolicyLoader(trigger_registry()))
    # The client side is real HTTP (schemathesis sends with requests); the
    # fake upstream needs no port of its own.
    transport = httpx.ASGITransport(app=upstream)
    app = create_app(cfg, transport=transport, store=store, audit=AuditLog(stream=io.BytesIO()))
    with serve(app) as url:
        yield url


@pytest.fixture(scope="module")
def openai_schema() -> Any:
    if not SPEC.exists():
        pytest.skip(f"OpenAI OpenAPI spec not found at {SPEC} (set SLUICEGATE_OPENAPI_SPEC)")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader: 1 s, not 20
    raw = yaml.load(SPEC.read_text(encoding="utf-8"), Loader=loader)
    return schemathesis.openapi.from_dict(raw)


# Any JSON value, to put where the schema wants something else.
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=4,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, (*prefix, i))


@st.composite
def mutated(draw: st.DrawFn, cases: st.SearchStrategy[Any]) -> Any:
    """A schema-valid case with one to three values deep inside its body
    replaced by arbitrary JSON: the malformed nesting (a part that is null, a
    ``type`` that is an object) that negative mode, which breaks the top
    level, rarely reaches."""
    case = draw(cases)
    if isinstance(case.body, dict):
        body = copy.deepcopy(case.body)
        for _ in range(draw(st.integers(1, 3))):
            paths = list(_paths(body))
            if not paths:
                break
            path = draw(st.sampled_from(paths))
            target = body
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = draw(JSON_VALUES)
        case.body = body
    return case


# The schemathesis pytest plugin's lazy fixture does not run on this pytest, so
# each operation's strategy is drawn from with hypothesis directly.
@pytest.mark.parametrize(
    "mode",
    # Mutated cases take ~20 s over the six operations: slow.
    ["positive", "negative", pytest.param("mutated", marks=pytest.mark.slow)],
)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_generated_request_gets_a_500(
    openai_schema: Any, gateway_url: str, method: str, path: str, mode: str
) -> None:
    """Positive cases follow the schema (the guards and the output side run);
    negative and mutated ones break it (the request readers must answer 4xx)."""
    operation = openai_schema[path][method]
    if mode == "mutated":
        strategy = mutated(operation.as_strategy())
    else:
        strategy = operation.as_strategy(schemathesis.GenerationMode(mode))

    @settings(
        max_examples=MUTATED_EXAMPLES if mode == "mutated" else EXAMPLES,
        deadline=None,
        derandomize=True,  # the same examples every run: a failure is reproducible
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(case=strategy)
    def check(case: Any) -> None:
        response = case.call(
            base_url=f"{gateway_url}/v1", headers={"authorization": "Bearer x"}, timeout=10
        )
        detail = f"{method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
        assert response.status_code != 500, detail
        assert b"internal gateway error" not in response.content, detail

    check()
