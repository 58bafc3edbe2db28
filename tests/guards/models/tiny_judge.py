"""A deterministic tiny generative judge: a one-layer Llama wired as a bigram
model, so greedy decoding after any judge prompt spells a fixed answer. (A
random tiny model would answer garbage, which the judge rightly rejects.)

With the attention and MLP outputs zeroed, each position's final hidden state
is the normed embedding of its own token; one-hot embeddings and an ``lm_head``
holding one 1 per column then make token i's argmax next token its chosen
successor. Every prompt ends with the newline after ``<|assistant|>``, so the
answer chain starts there.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import torch
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from tests.guards.models.tiny import WORDS

HARMFUL = "harmful request: yes\nresponse refusal: no\nharmful response: yes"
GARBAGE = "I think it is fine."

# A bigram model gives each token one successor, so a piece that recurs in the
# answer (a second newline, a second " yes") gets its own token, marked with
# primes that the decoder drops.
PRIME = "\u2032"
SPECIAL = ["[UNK]", "</s>"]
EOS = 1


def _pre_tokenizer() -> pre_tokenizers.PreTokenizer:
    # Newlines are tokens of their own, words keep their leading space, so the
    # Fuse decoder gives back the exact text.
    return pre_tokenizers.Split(Regex(r"\n| ?[^\s]+"), behavior="isolated")


def bigram_judge(path: Path, answer: str) -> Path:
    """Save to ``path`` a model and tokenizer that answer ``answer`` to any prompt."""
    words = ["\n", *WORDS, *(" " + w for w in WORDS)]
    vocab = {token: i for i, token in enumerate([*SPECIAL, *words])}
    chain = ["\n"]  # the prompt's last token
    for piece, _ in _pre_tokenizer().pre_tokenize_str(answer):
        token = piece
        while token in chain:
            token += PRIME
        chain.append(token)
        vocab.setdefault(token, len(vocab))
    successor = {vocab[a]: vocab[b] for a, b in pairwise(chain)}

    backend = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = _pre_tokenizer()
    backend.decoder = decoders.Sequence([decoders.Replace(PRIME, ""), decoders.Fuse()])
    PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token="[UNK]",
        eos_token="</s>",  # and no pad token, like Llama's
        clean_up_tokenization_spaces=False,
    ).save_pretrained(path)

    size = len(vocab)
    hidden = -(-size // 8) * 8  # >= the vocabulary, whole heads
    config = LlamaConfig(
        vocab_size=size,
        hidden_size=hidden,
        intermediate_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        bos_token_id=None,
        eos_token_id=EOS,
        pad_token_id=None,
        tie_word_embeddings=False,
    )
    model = LlamaForCausalLM(config)
    with torch.no_grad():
        layer = model.model.layers[0]
        layer.self_attn.o_proj.weight.zero_()
        layer.mlp.down_proj.weight.zero_()
        model.model.embed_tokens.weight.copy_(torch.eye(size, hidden))
        head = torch.zeros(size, hidden)
        for token in range(size):
            head[successor.get(token, EOS), token] = 1.0  # anything else ends the answer
        model.lm_head.weight.copy_(head)
    model.save_pretrained(path)
    return path
