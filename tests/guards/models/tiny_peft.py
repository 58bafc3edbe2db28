"""A tiny OpenCC-style adapter: a Qwen3 causal LM with random weights, a LoRA
adapter on it whose weights are not the identity, a random multi-label head,
and the weight_frame.json manifest that ties them together."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from peft import LoraConfig, get_peft_model
from safetensors.torch import save_file
from transformers import Qwen3Config, Qwen3ForCausalLM

from tests.guards.models.tiny import word_tokenizer

HIDDEN = 16
CATEGORIES = ["cbrn", "cyber", "self_harm", "weapons"]


def tiny_qwen(path: Path) -> Path:
    """A one-layer Qwen3 with the word tokenizer (no pad token, eos ``</s>`` = 3)."""
    torch.manual_seed(0)
    word_tokenizer(path, with_pad=False)
    config = Qwen3Config(
        vocab_size=32,
        hidden_size=HIDDEN,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        head_dim=8,
        max_position_embeddings=128,
        eos_token_id=3,
    )
    Qwen3ForCausalLM(config).save_pretrained(path)
    return path


def peft_head_adapter(
    root: Path,
    *,
    categories: list[str] = CATEGORIES,
    thresholds: Any = None,
    tokenizer_in_adapter: bool = True,
    **manifest: Any,
) -> Path:
    """Build ``root/base`` and ``root/adapter`` (with ``weight_frame.json``);
    returns the adapter directory. ``manifest`` adds or replaces keys."""
    base = tiny_qwen(root / "base")
    adapter = root / "adapter"
    torch.manual_seed(1)
    model = get_peft_model(
        Qwen3ForCausalLM.from_pretrained(base),
        LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj"]),
    )
    # LoRA B starts at zero (an identity adapter): make the adapter matter.
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.normal_(std=0.5)
    model.save_pretrained(adapter)
    if tokenizer_in_adapter:
        word_tokenizer(adapter, with_pad=False)
    # Small weights keep every probability well inside (0, 0.999999).
    head = {
        "weight": torch.randn(len(categories), HIDDEN) * 0.3,
        "bias": torch.randn(len(categories)) * 0.3,
    }
    save_file(head, str(adapter / "head.safetensors"))
    frame: dict[str, Any] = {
        "format": "weight_frame",
        "version": 1,
        "base_model": str(base),
        "adapter": ".",
        "categories": categories,
        "head": {"file": "head.safetensors", "weight": "weight", "bias": "bias"},
        "thresholds": thresholds if thresholds is not None else dict.fromkeys(categories, 0.5),
        "max_length": 64,
        "pooling": "last_token",
    }
    frame.update(manifest)
    write_manifest(adapter, frame)
    return adapter


def read_manifest(adapter: Path) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads((adapter / "weight_frame.json").read_text())
    return frame


def write_manifest(adapter: Path, frame: dict[str, Any]) -> None:
    (adapter / "weight_frame.json").write_text(json.dumps(frame, indent=2))
