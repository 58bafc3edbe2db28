"""A cost LiteLLM's guardrail logging has without the OpenTelemetry SDK.

LiteLLM (1.108) imports its OpenTelemetry span helper anew each time a
guardrail records a decision (``CustomGuardrail.add_standard_logging_
guardrail_information_to_request_data``), and offers no setting or
registration API to skip it. This is the one place sluicegate touches
``sys.modules``; it does so only where the import already fails.
"""

from __future__ import annotations

import importlib
import sys

__all__ = ["fail_fast_missing_otel"]


def fail_fast_missing_otel() -> None:
    """LiteLLM (1.108) imports its OpenTelemetry span helper anew each time a
    guardrail records a decision. Without the OpenTelemetry SDK that import
    fails every time, and the failed import costs more than all of this
    guardrail's own work (about 0.3 ms per record, two records a request).
    When the module cannot be imported, mark it missing once, so each later
    attempt fails at once, as it would anyway; with the SDK installed nothing
    changes."""
    name = "litellm.integrations.otel.logger"
    if name in sys.modules:
        return
    try:
        importlib.import_module(name)
    except ImportError:
        sys.modules[name] = None  # type: ignore[assignment]
