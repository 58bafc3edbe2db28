"""Client conformance suite (issue 14): real clients against the mock upstream directly
and through the gateway in every stream mode, asserting the same parsed result.

scenarios.py holds the table (upstream bodies and OpenAI-shaped SSE), canonical.py the
one shape results compare in, conftest.py the gateways (one per stream mode, one per
bundled pack), known.py the known gateway failures (xfail, not strict); one module per
client family. openai-node runs from node/ (``npm ci`` there first).
"""
