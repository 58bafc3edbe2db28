"""Gateway configuration: upstream, auth, policy selection, limits, audit."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "AuditConfig",
    "AuthConfig",
    "CorsConfig",
    "GatewayConfig",
    "GatewayKey",
    "PolicyRoute",
    "UpstreamConfig",
    "load_config",
]

DEMO_UPSTREAM = "demo"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UpstreamConfig(_Strict):
    url: str = Field(
        DEMO_UPSTREAM, description='Upstream base URL (a trailing /v1 is dropped), or "demo".'
    )
    api_key_env: str | None = Field(
        None, description="Env var whose value replaces the client's Authorization upstream."
    )
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 120.0
    write_timeout_s: float = 30.0
    pool_timeout_s: float = 5.0
    max_response_bytes: int = Field(
        64 * 1024 * 1024, gt=0, description="Largest upstream answer the gateway will buffer."
    )
    max_connections: int = 512
    max_keepalive_connections: int = 128

    @field_validator("url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        """Accept both ``https://api.openai.com`` and ``.../v1``: the gateway
        forwards the client's full path, which already starts with /v1."""
        if value == DEMO_UPSTREAM:
            return value
        if not value.startswith(("http://", "https://")):
            raise ValueError(
                f'upstream url must start with http:// or https:// (or be "demo"), got {value!r}'
            )
        value = value.rstrip("/")
        return value.removesuffix("/v1")

    def api_key(self) -> str | None:
        if not self.api_key_env:
            return None
        value = os.environ.get(self.api_key_env)
        if not value:
            raise ValueError(f"upstream.api_key_env names {self.api_key_env}, which is not set")
        return value


class GatewayKey(_Strict):
    key: str
    name: str = "client"
    policy: str | None = None  # policy this key is pinned to


class AuthConfig(_Strict):
    keys: list[GatewayKey | str] = Field(default_factory=list)
    keys_env: str | None = Field(None, description="Env var with comma-separated keys.")
    keys_file: Path | None = Field(None, description="File with one key per line.")

    def resolved_keys(self) -> list[GatewayKey]:
        keys = [k if isinstance(k, GatewayKey) else GatewayKey(key=k) for k in self.keys]
        if self.keys_env:
            raw = os.environ.get(self.keys_env)
            if raw is None:
                raise ValueError(f"auth.keys_env names {self.keys_env}, which is not set")
            keys += [GatewayKey(key=k.strip()) for k in raw.split(",") if k.strip()]
        if self.keys_file:
            for line in self.keys_file.read_text(encoding="utf-8").splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    keys.append(GatewayKey(key=line))
        return keys


class PolicyRoute(_Strict):
    """First matching entry picks the policy; unset fields match anything.
    ``model`` accepts shell-style wildcards."""

    policy: str
    route: str | None = None
    model: str | None = None
    key: str | None = Field(None, description="Gateway key name.")


class AuditConfig(_Strict):
    path: str | None = Field(
        "-", description='File for JSON audit lines; "-" = stderr; null = off.'
    )
    log_text: bool = Field(False, description="Also log texts, after redaction.")


class CorsConfig(_Strict):
    """Cross-origin access for browser clients (Starlette's CORSMiddleware).
    Absent means off: no CORS headers, and preflight OPTIONS is refused."""

    allow_origins: list[str] = Field(
        default_factory=list, description='Origins allowed to call the gateway; "*" for any.'
    )
    allow_origin_regex: str | None = Field(None, description="Origins matching this regex too.")
    allow_methods: list[str] = Field(default_factory=lambda: ["GET", "POST", "OPTIONS"])
    allow_headers: list[str] = Field(
        default_factory=lambda: [
            "authorization",
            "content-type",
            "x-request-id",
            "x-sluicegate-key",
            "x-sluicegate-policy",
        ],
        description="Request headers a browser may send (OpenAI's SDK also sends x-stainless-*; "
        'add them, or use "*").',
    )
    expose_headers: list[str] = Field(
        default_factory=lambda: [
            "x-request-id",
            "x-sluicegate-request-id",
            "x-sluicegate-decision",
            "x-sluicegate-blocked",
        ],
        description="Response headers browser code may read.",
    )
    allow_credentials: bool = False
    max_age: int = Field(600, ge=0, description="Seconds a browser may cache a preflight answer.")


class GatewayConfig(_Strict):
    upstream: UpstreamConfig = Field(default_factory=UpstreamConfig)
    auth: AuthConfig = Field(default_factory=AuthConfig)
    policies: dict[str, str] = Field(
        default_factory=dict, description="Policy name -> file path (or packaged pack name)."
    )
    default_policy: str = "default"
    routes: list[PolicyRoute] = Field(default_factory=list)
    header_policies: list[str] = Field(
        default_factory=list,
        description="Policies a client may pick with x-sluicegate-policy; empty = header refused.",
    )
    passthrough_paths: list[str] = Field(
        default_factory=list, description="Extra upstream paths forwarded unguarded."
    )
    max_body_bytes: int = Field(8 * 1024 * 1024, gt=0)
    hot_reload: bool = True
    audit: AuditConfig = Field(default_factory=AuditConfig)
    metrics: bool = Field(True, description="Serve Prometheus metrics at GET /metrics.")
    cors: CorsConfig | None = Field(None, description="Browser cross-origin access; off if unset.")
    tokenizers: dict[str, str] = Field(
        default_factory=dict,
        description="Model name or shell-style glob -> tiktoken encoding (cl100k_base, "
        "o200k_base), to read token-id input of embeddings and completions.",
    )

    def pinned_policies(self) -> list[str]:
        """Policies gateway keys listed in the config are pinned to."""
        return [k.policy for k in self.auth.keys if isinstance(k, GatewayKey) and k.policy]

    @model_validator(mode="after")
    def _check_names(self) -> GatewayConfig:
        names = set(self.policies) | {"default", "strict"}
        used = [self.default_policy, *self.header_policies, *(r.policy for r in self.routes)]
        for name in [*used, *self.pinned_policies()]:
            if name not in names:
                raise ValueError(f"policy {name!r} is not listed under policies")
        return self


def load_config(path: str | Path) -> GatewayConfig:
    data: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    config = GatewayConfig.model_validate(data)
    base = Path(path).parent
    # Relative policy paths are relative to the config file, like most tools do.
    config.policies = {
        name: value if _is_pack(value) or Path(value).is_absolute() else str(base / value)
        for name, value in config.policies.items()
    }
    return config


def _is_pack(value: str) -> bool:
    return value.startswith("pack:")
