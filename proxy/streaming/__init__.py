"""Guarded streams: one relay loop, per-protocol codecs, one text gate.

See ``docs/streaming.md`` for what a client sees in each mode."""

from .codec import Entry, EntryKind, StreamCodec
from .gate import TextGate
from .guarded import GuardedStream
from .relay import OUTPUT_HEADER, StreamRelay, codec_for

__all__ = [
    "OUTPUT_HEADER",
    "Entry",
    "EntryKind",
    "GuardedStream",
    "StreamCodec",
    "StreamRelay",
    "TextGate",
    "codec_for",
]
