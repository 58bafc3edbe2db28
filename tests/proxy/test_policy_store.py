"""The policy store (proxy/policy_store.py), in process: which policy serves a
request (default, model and path routes, pinned keys, the header), hot
reload of policy files, and reloads that keep the old policy."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import openai
import pytest

from sluicegate.policies.loader import PolicyLoader
from sluicegate.proxy.config import GatewayConfig
from sluicegate.proxy.policy_store import PolicyStore
from tests.support.guards import trigger_registry
from tests.support.inprocess import AppGatewayFactory
from tests.support.servers import MockUpstream

LENIENT = """\
version: 1
guards:
  t: {type: trigger, triggers: {"BLOCKME": bad}}
rules: []
"""
STRICT = LENIENT.replace(
    "rules: []", "rules:\n  - {name: b, when: 'scores[\"t\"] > 0.5', action: block}"
)


@pytest.fixture
def two_policies(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "lenient.yaml").write_text(LENIENT)
    (tmp_path / "tight.yaml").write_text(STRICT)
    return {"lenient": str(tmp_path / "lenient.yaml"), "tight": str(tmp_path / "tight.yaml")}


async def send(client: openai.AsyncOpenAI, model: str = "m", **kwargs: object) -> str:
    raw = await client.chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "user", "content": "BLOCKME"}], **kwargs
    )
    return raw.headers["x-sluicegate-decision"]


async def test_default_then_model_route(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream, two_policies: dict[str, str]
) -> None:
    gw = await app_gateway(
        policies=two_policies,
        default_policy="lenient",
        routes=[{"model": "gpt-4*", "policy": "tight"}],
    )
    assert await send(gw.client, model="small") == "allow"
    with pytest.raises(openai.BadRequestError):
        await send(gw.client, model="gpt-4o")
    assert gw.audit()[1]["policy"] == "tight"


async def test_route_path_selection(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream, two_policies: dict[str, str]
) -> None:
    gw = await app_gateway(
        policies=two_policies,
        default_policy="lenient",
        routes=[{"route": "/v1/embeddings", "policy": "tight"}],
    )
    assert await send(gw.client) == "allow"
    with pytest.raises(openai.BadRequestError):
        await gw.client.embeddings.create(model="m", input="BLOCKME")


async def test_gateway_key_pins_policy(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream, two_policies: dict[str, str]
) -> None:
    gw = await app_gateway(
        policies=two_policies,
        default_policy="lenient",
        auth={
            "keys": [
                {"key": "k-open", "name": "team-a"},
                {"key": "k-tight", "name": "team-b", "policy": "tight"},
            ]
        },
    )
    assert await send(gw.openai("k-open")) == "allow"
    with pytest.raises(openai.BadRequestError):
        await send(gw.openai("k-tight"))
    # a pinned key cannot pick another policy with the header
    with pytest.raises(openai.BadRequestError):
        await send(gw.openai("k-tight"), extra_headers={"x-sluicegate-policy": "lenient"})


async def test_header_selection_among_allowed(
    app_gateway: AppGatewayFactory, mock_upstream: MockUpstream, two_policies: dict[str, str]
) -> None:
    gw = await app_gateway(
        policies=two_policies, default_policy="lenient", header_policies=["tight"]
    )
    assert await send(gw.client) == "allow"
    with pytest.raises(openai.BadRequestError):
        await send(gw.client, extra_headers={"x-sluicegate-policy": "tight"})
    with pytest.raises(openai.BadRequestError) as info:
        await send(gw.client, extra_headers={"x-sluicegate-policy": "lenient"})
    assert info.value.code == "policy_not_allowed"


def test_unknown_policy_name_in_config_is_rejected() -> None:
    with pytest.raises(ValueError, match="not listed"):
        GatewayConfig.model_validate({"default_policy": "nope"})


async def wait_for(condition: Callable[[], Awaitable[bool]], tries: int = 200) -> bool:
    """Whether ``condition`` comes true within ``tries`` polls 50 ms apart."""
    for _ in range(tries):
        if await condition():
            return True
        await asyncio.sleep(0.05)
    return False


async def test_hot_reload_swaps_good_file_and_keeps_old_on_bad(
    app_gateway: AppGatewayFactory,
    mock_upstream: MockUpstream,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = tmp_path / "live.yaml"
    path.write_text(LENIENT)
    gw = await app_gateway(policies={"live": str(path)}, default_policy="live", hot_reload=True)
    assert await send(gw.client) == "allow"
    await asyncio.sleep(0.3)  # let the watcher start
    path.write_text(STRICT)

    async def blocked() -> bool:
        try:
            await send(gw.client)
        except openai.BadRequestError:
            return True
        return False

    assert await wait_for(blocked), "the stricter policy was not picked up"
    path.write_text("version: 1\nrules: [oops\n")  # broken: old policy must keep serving
    await asyncio.sleep(1.0)
    assert await blocked()
    assert any("reload failed" in r.getMessage() for r in caplog.records)


def test_store_reload_is_atomic_per_policy(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(LENIENT)
    config = GatewayConfig.model_validate({"policies": {"p": str(path)}, "default_policy": "p"})
    store = PolicyStore(config, PolicyLoader(trigger_registry()))
    store.load_all()
    before = store.get("p")
    path.write_text("version: 2\n")
    assert store.reload() == []
    assert store.get("p") is before
    path.write_text(STRICT)
    assert store.reload() == ["p"]
    assert store.get("p").digest != before.digest


def test_reload_survives_unreadable_sidecar_and_keeps_watching(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(LENIENT)
    config = GatewayConfig.model_validate({"policies": {"p": str(path)}, "default_policy": "p"})
    store = PolicyStore(config, PolicyLoader(trigger_registry()))
    store.load_all()
    (tmp_path / "p_test.yaml").write_bytes(b"tests:\n  - {text: '\xff', expect: allow}\n")
    assert store.reload() == []  # logged, not raised
    (tmp_path / "p_test.yaml").unlink()
    path.write_text(STRICT)
    assert store.reload() == ["p"]


def test_reload_follows_configmap_style_symlink_swap(tmp_path: Path) -> None:
    """Kubernetes mounts a ConfigMap as name -> ..data/name, ..data -> ..v1/;
    an update swaps ..data, never touching the file's own path."""
    mount = tmp_path / "mount"
    (mount / "..v1").mkdir(parents=True)
    (mount / "..v1" / "p.yaml").write_text(LENIENT)
    (mount / "..data").symlink_to("..v1")
    (mount / "p.yaml").symlink_to("..data/p.yaml")
    config = GatewayConfig.model_validate(
        {"policies": {"p": str(mount / "p.yaml")}, "default_policy": "p"}
    )
    store = PolicyStore(config, PolicyLoader(trigger_registry()))
    store.load_all()
    assert store.reload() == []
    (mount / "..v2").mkdir()
    (mount / "..v2" / "p.yaml").write_text(STRICT)
    (mount / "..data_tmp").symlink_to("..v2")
    (mount / "..data_tmp").replace(mount / "..data")
    assert store.reload() == ["p"]
    assert store.get("p").rules


def test_key_pinned_to_unlisted_policy_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="'gold' is not listed"):
        GatewayConfig.model_validate(
            {"auth": {"keys": [{"key": "k", "name": "a", "policy": "gold"}]}}
        )


def test_placeholder_with_unknown_field_fails_at_load() -> None:
    from sluicegate.policies.errors import PolicyError

    text = LENIENT + "redaction: {placeholder: '<{entity}>'}\n"
    with pytest.raises(PolicyError, match="placeholder"):
        PolicyLoader(trigger_registry()).load_text(text, path="p.yaml")
    with pytest.raises(PolicyError, match="quotes"):
        PolicyLoader(trigger_registry()).load_text(
            LENIENT + "redaction: {placeholder: '\"{category}\"'}\n", path="p.yaml"
        )
