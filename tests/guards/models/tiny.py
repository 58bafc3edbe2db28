"""Tiny models of real architectures, built with random weights and saved to
a directory, so model guards load them through the same from_pretrained path
a user's policy uses (there is no model hub here)."""

from __future__ import annotations

from pathlib import Path

from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    LlamaConfig,
    LlamaForSequenceClassification,
    PreTrainedTokenizerFast,
)

WORDS = ["hello", "world", "how", "to", "make", "a", "bomb", "bread", "the", "is", "safe"]


def word_tokenizer(path: Path, *, with_pad: bool) -> None:
    """A whitespace word-level tokenizer; without a pad token, like Llama's."""
    special = ["[UNK]", "[CLS]", "[SEP]", "</s>"] + (["[PAD]"] if with_pad else [])
    vocab = {token: i for i, token in enumerate(special + WORDS)}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token="[UNK]",
        eos_token="</s>",
        **({"pad_token": "[PAD]", "cls_token": "[CLS]", "sep_token": "[SEP]"} if with_pad else {}),
    )
    tokenizer.save_pretrained(path)


def bert_classifier(path: Path, labels: list[str], *, multi_label: bool) -> Path:
    word_tokenizer(path, with_pad=True)
    config = BertConfig(
        vocab_size=32,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={lb: i for i, lb in enumerate(labels)},
        problem_type="multi_label_classification" if multi_label else "single_label_classification",
    )
    BertForSequenceClassification(config).save_pretrained(path)
    return path


def llama_classifier(model_dir: Path, tokenizer_dir: Path, labels: list[str]) -> Path:
    """DuoGuard's shape: a decoder with a sigmoid head; the tokenizer lives
    elsewhere and has no pad token."""
    word_tokenizer(tokenizer_dir, with_pad=False)
    config = LlamaConfig(
        vocab_size=32,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=64,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={lb: i for i, lb in enumerate(labels)},
        problem_type="multi_label_classification",
        eos_token_id=3,
    )
    LlamaForSequenceClassification(config).save_pretrained(model_dir)
    return model_dir
