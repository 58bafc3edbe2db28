"""A guard served by another process: a sluicegate ``POST /v1/guard`` (or
anything speaking its shape), so model guards can run on GPU hosts behind a
load balancer while gateways stay thin."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from .base import Finding, GuardResult, Span
from .errors import GuardError

__all__ = ["RemoteGuard", "RemoteGuardSettings"]


class RemoteGuardSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="Base URL of the guard service (its /v1/guard is called).")
    guard: str = Field(description="Name of the guard on the remote side.")
    categories: list[str] = Field(
        min_length=1, description="Categories the remote guard reports (policies name them)."
    )
    api_key_env: str | None = Field(None, description="Env var with a key for the service.")


class RemoteGuard:
    Settings = RemoteGuardSettings

    def __init__(self, name: str, settings: RemoteGuardSettings) -> None:
        self.name = name
        self.categories = tuple(settings.categories)
        self.settings = settings
        self._endpoint = settings.url.rstrip("/").removesuffix("/v1") + "/v1/guard"
        self._headers = {"content-type": "application/json"}
        if settings.api_key_env:
            key = os.environ.get(settings.api_key_env)
            if not key:
                raise GuardError(f"{settings.api_key_env} is not set")
            self._headers["authorization"] = f"Bearer {key}"
        self._client: httpx.AsyncClient | None = None  # made in the running loop

    async def scan(self, texts: Sequence[str]) -> list[GuardResult]:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=None)  # the runner enforces the timeout
        body = {"texts": list(texts), "guards": [self.settings.guard], "stage": None}
        try:
            response = await self._client.post(self._endpoint, json=body, headers=self._headers)
        except httpx.HTTPError as exc:
            raise GuardError(f"remote guard unreachable: {exc!r}") from exc
        if response.status_code != 200:
            raise GuardError(f"remote guard answered HTTP {response.status_code}")
        return [self._result(item) for item in _results(response.json(), len(texts))]

    def _result(self, item: Any) -> GuardResult:
        entry = item.get(self.settings.guard) if isinstance(item, dict) else None
        if not isinstance(entry, dict):
            raise GuardError(f"remote answer lacks guard {self.settings.guard!r}")
        if entry.get("error"):
            raise GuardError(f"remote guard failed: {entry['error']}")
        findings = []
        for f in entry.get("findings") or []:
            category, score = f.get("category"), f.get("score")
            if category not in self.categories or not isinstance(score, int | float):
                raise GuardError(f"remote guard reported an undeclared finding: {f!r}")
            start, end = f.get("start"), f.get("end")
            span = Span(start, end) if isinstance(start, int) and isinstance(end, int) else None
            findings.append(Finding(category, float(score), span))
        return GuardResult(self.name, tuple(findings))

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _results(data: Any, count: int) -> list[Any]:
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list) or len(results) != count:
        raise GuardError("remote guard answered with a wrong number of results")
    return results
