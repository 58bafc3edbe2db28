"""Routes that say which API's error shape they answer in."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from starlette.routing import Route
from starlette.types import Scope

from .errors import OPENAI_ERRORS, ErrorBodies

__all__ = ["GatewayRoute", "error_bodies"]


class GatewayRoute(Route):
    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: Sequence[str],
        errors: ErrorBodies = OPENAI_ERRORS,
    ) -> None:
        super().__init__(path, endpoint, methods=list(methods))
        self.errors = errors


def error_bodies(scope: Scope) -> ErrorBodies:
    """The error shape of the route ``scope`` was routed to (OpenAI's when
    none matched, or the route does not say)."""
    route = scope.get("route")
    return route.errors if isinstance(route, GatewayRoute) else OPENAI_ERRORS
