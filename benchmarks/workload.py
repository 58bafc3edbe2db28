"""The benchmark request and the mock upstream's fixed answer.

The prompt is about 1 kB of ordinary English with no personal data, secrets,
digits or injection phrases, so every guard scans it and none acts on it. Its
last sentence names the garden with ten letters that differ per request
(``PostRequest.variant``), so no cache makes a repeated request cheap.
"""

from __future__ import annotations

import json
import secrets
import time

from load import PostRequest

__all__ = ["BENCH_KEY", "COMPLETION", "PROMPT", "REQUEST", "expected_content"]

#: bearer token every target gets; LiteLLM's proxy is started with it as its
#: master key (it refuses to start without one), the others ignore it
BENCH_KEY = f"sk-bench-{secrets.token_hex(16)}"

PROMPT = (
    "I volunteer with a small neighbourhood association that wants to turn an empty corner "
    "lot into a community garden. The lot gets full sun in the afternoon, the soil is "
    "compacted clay, and there is a water tap on the building next door that the owner has "
    "said we may use. About a dozen households are interested, including several families "
    "with young children and a few retired neighbours who have grown vegetables for years. "
    "We would like the garden to be welcoming to beginners, easy to maintain with volunteer "
    "time, and productive enough that people feel rewarded in the first season. Could you "
    "suggest a simple layout for the beds and paths, a short list of vegetables and herbs "
    "that are forgiving for new gardeners, and a way to organise watering and weeding so "
    "that no single person carries the load? We also want to hold a few workshops over the "
    "summer, so please include ideas for topics that would suit a mixed group of adults and "
    "children, and any advice on keeping costs low by reusing materials. We call it the "
    "QQQQQQQQQQ garden."
)

REQUEST = PostRequest(
    path="/v1/chat/completions",
    body=json.dumps({
        "model": "mock-model",
        "messages": [
            {"role": "system", "content": "You are a helpful gardening assistant."},
            {"role": "user", "content": PROMPT},
        ],
        "stream": False,
    }).encode(),
    headers={"Content-Type": "application/json", "Authorization": f"Bearer {BENCH_KEY}"},
)

_ANSWER = (
    "Start with three raised beds near the south fence, where the light is best, and plant "
    "tomatoes, beans and herbs in the first season. Put the compost bins by the gate so "
    "volunteers can reach them easily, and keep a simple watering rota on the shed door."
)

COMPLETION = json.dumps({
    "id": "chatcmpl-bench",
    "object": "chat.completion",
    "created": int(time.time()),
    "model": "mock-model",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": _ANSWER},
                 "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 230, "completion_tokens": 52, "total_tokens": 282},
}).encode()


def expected_content() -> str:
    """What a pass-through that changed nothing returns as the message content."""
    return _ANSWER
