"""A GLiClass model with Opir-multitask-multilang's shapes (mDeBERTa-v3-base:
12 layers, hidden 768, 12 heads, a 250,105-token embedding, relative position
attention) and random weights, saved where the guard loads it from, through
the same from_pretrained path a user's policy takes. There is no model hub
here, so speed is measured on the architecture, not on trained weights.

The tokenizer is word-level over synthetic words, so "N tokens" of text is
exactly N tokens; ids stay far below the embedding size, which does not change
the compute per token.
"""

from __future__ import annotations

from pathlib import Path

MDEBERTA_V3_BASE = {
    "vocab_size": 250_105,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "hidden_act": "gelu",
    "max_position_embeddings": 512,
    "type_vocab_size": 0,
    "relative_attention": True,
    "max_relative_positions": -1,
    "position_buckets": 256,
    "norm_rel_ebd": "layer_norm",
    "share_att_key": True,
    "pos_att_type": ["p2c", "c2p"],
    "position_biased_input": False,
    "layer_norm_eps": 1e-7,
    "pad_token_id": 0,
}
WORDS = 4000


def word(i: int) -> str:
    return f"w{i}"


def text_of(tokens: int, seed: int) -> str:
    """A text of exactly ``tokens`` tokens; different seeds give different texts."""
    return " ".join(word((seed * 7919 + k * 31) % WORDS) for k in range(tokens))


def build(path: Path, *, seed: int = 0) -> Path:
    import torch
    from gliclass import GLiClassModel
    from gliclass.config import GLiClassModelConfig
    from tokenizers import Tokenizer, models, pre_tokenizers
    from tokenizers.processors import TemplateProcessing
    from transformers import DebertaV2Config, PreTrainedTokenizerFast

    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
    labels = ["safe", "unsafe", "toxicity", "violence", "self_harm", "sexual_content"]
    vocab = {t: i for i, t in enumerate([*special, *labels, *(word(i) for i in range(WORDS))])}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        model_max_length=4096,
    )
    tokenizer.add_tokens(["<<LABEL>>", "<<SEP>>", "<<EXAMPLE>>"], special_tokens=True)
    tokenizer.save_pretrained(path)
    config = GLiClassModelConfig(
        encoder_config=DebertaV2Config(**MDEBERTA_V3_BASE).to_dict(),
        encoder_model="microsoft/mdeberta-v3-base",  # a name only; nothing is fetched
        class_token_index=tokenizer.convert_tokens_to_ids("<<LABEL>>"),
        text_token_index=tokenizer.convert_tokens_to_ids("<<SEP>>"),
        example_token_index=tokenizer.convert_tokens_to_ids("<<EXAMPLE>>"),
        architecture_type="uni-encoder",
        prompt_first=True,
        pooling_strategy="avg",
        class_token_pooling="first",
        problem_type="multi_label_classification",
        max_num_classes=25,
    )
    torch.manual_seed(seed)
    GLiClassModel(config).save_pretrained(path)
    return path
