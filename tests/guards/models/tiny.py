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


def gliclass_model(path: Path, *, prompt_first: bool = True, seed: int = 0) -> Path:
    """A uni-encoder GLiClass model on a tiny DeBERTa-v2 encoder, the Opir
    family's architecture, with the <<LABEL>>/<<SEP>> tokens its tokenizer adds.
    Weights are random but scaled up so scores differ between texts."""
    import torch
    from gliclass import GLiClassModel
    from gliclass.config import GLiClassModelConfig
    from tokenizers.processors import TemplateProcessing
    from transformers import DebertaV2Config

    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
    words = [*WORDS, "unsafe", "toxicity", "violence", "weapons", "benign", "classify", "this:"]
    vocab = {token: i for i, token in enumerate(special + words)}
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
    )
    tokenizer.add_tokens(["<<LABEL>>", "<<SEP>>", "<<EXAMPLE>>"], special_tokens=True)
    tokenizer.save_pretrained(path)
    encoder = DebertaV2Config(
        vocab_size=len(tokenizer),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=128,
        pad_token_id=0,
    )
    config = GLiClassModelConfig(
        encoder_config=encoder.to_dict(),
        encoder_model="microsoft/mdeberta-v3-base",  # a name only; nothing is fetched
        class_token_index=tokenizer.convert_tokens_to_ids("<<LABEL>>"),
        text_token_index=tokenizer.convert_tokens_to_ids("<<SEP>>"),
        example_token_index=tokenizer.convert_tokens_to_ids("<<EXAMPLE>>"),
        architecture_type="uni-encoder",
        prompt_first=prompt_first,
        pooling_strategy="avg",
        problem_type="multi_label_classification",
    )
    torch.manual_seed(seed)
    model = GLiClassModel(config)
    with torch.no_grad():
        for param in model.parameters():
            param.normal_(0.0, 0.5)
    model.save_pretrained(path)
    return path
