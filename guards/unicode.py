"""Text normalisation run once per text before the guards, with a map back to the original.

Guards scan :attr:`NormalizedText.text`; a span they report is turned into a span of
the text the client sent with :meth:`NormalizedText.original_span`, so redaction
cuts exactly the characters that produced the finding.

What changes, in order:

1. NFKC, applied per *chunk* (a character and the combining marks after it) so each
   output character can name the input characters it came from. Fullwidth forms,
   mathematical alphanumerics, ligatures and exotic spaces become plain characters.
2. Invisible characters are dropped: Default_Ignorable code points (zero-width
   space/joiners, word joiner, BOM, soft hyphen, bidi controls, variation selectors,
   Hangul fillers, ...) and the invisible Egyptian format controls. ZWNJ and ZWJ
   matter when Persian, Indic scripts or emoji are *rendered*, not when they are
   scanned; the original keeps them.
3. Unicode tag characters U+E0020-U+E007E mirror printable ASCII and render as
   nothing, which makes them a channel for hidden instructions that models still
   read. They are decoded into visible ASCII, with a space on either side so the
   payload cannot glue onto the word before it; injection guards then see it. Tag
   runs right after U+1F3F4 (subdivision flags such as England's) are emoji, and
   are dropped instead.
4. Homoglyphs: a curated table folds Cyrillic, Greek, Armenian and small-capital
   look-alikes to ASCII, but only in a run of letters that mixes ASCII letters with
   look-alikes (``paypal`` spelt with a Cyrillic a and p). An evasion word needs at
   least one letter that has no look-alike, so it mixes scripts; a word in one
   script is left alone, so Russian and Greek text scans as written. Folding is one
   character for one, so it never moves offsets. (No maintained confusables
   package is a dependency; UTS #39 skeletons would also fold whole Cyrillic words.)
"""

from __future__ import annotations

import re
import string
import types
import unicodedata
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field

from .base import Span

__all__ = ["NormalizedText", "normalize"]


@dataclass(frozen=True, slots=True)
class _OffsetMap:
    """Piecewise map from normalised to original offsets.

    Segment ``k`` starts at normalised offset ``out[k]``. A linear segment maps
    character ``out[k] + d`` to original ``[start[k] + d, start[k] + d + 1)``; any
    other maps each of its characters to the whole ``[start[k], end[k])``.
    """

    out: tuple[int, ...]
    start: tuple[int, ...]
    end: tuple[int, ...]
    linear: tuple[bool, ...]

    def origin(self, index: int) -> tuple[int, int]:
        k = bisect_right(self.out, index) - 1
        start = self.start[k]
        if self.linear[k]:
            start += index - self.out[k]
            return start, start + 1
        return start, self.end[k]


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """A text as the client sent it and as the guards scan it."""

    original: str
    text: str
    # None when no offset moved: character i of text came from character i of original.
    _map: _OffsetMap | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._map is None and len(self.text) != len(self.original):
            raise ValueError("an identity offset map needs texts of equal length")

    def original_span(self, span: Span) -> Span:
        """Map ``[start, end)`` in :attr:`text` to the original characters behind it.

        Dropped invisibles belong to the next kept character (or the last one, at the
        end), so the whole normalised text maps to the whole original. An empty span
        maps to an empty span at the matching position.
        """
        size = len(self.text)
        if not 0 <= span.start <= span.end <= size:
            raise ValueError(f"span {span} outside normalised text of length {size}")
        if self._map is None:
            return span
        if span.start == span.end:
            if size == 0:
                return Span(0, len(self.original))
            pos = self._map.origin(span.start)[0] if span.start < size else len(self.original)
            return Span(pos, pos)
        return Span(self._map.origin(span.start)[0], self._map.origin(span.end - 1)[1])

    def stable(self) -> tuple[int, int]:
        """What appended text cannot change: ``(judged, settled)``.

        ``judged`` is how much of :attr:`text` is sure to begin the normal form
        of any longer text: guards may judge that much. It stops before a last
        character that a mark appended to it would recompose ("e" and U+0301
        are "é"; ASCII digits, spaces and most punctuation stay first), before
        a trailing tag run (it may go on), and before a trailing run of
        look-alike letters that no ASCII letter has folded yet (Cyrillic
        "\\u0440\\u0430" folds to "pa" once "ypal" follows).

        ``settled`` is how much of :attr:`original` may be called settled at
        most: never the last character and its marks (a mark appended to any
        character moves where its normal form maps back to) nor trailing
        invisibles (they belong to the next kept character).
        """
        original = self.original
        end = len(original)
        while end > 0 and _INVISIBLE_RUN.fullmatch(original, end - 1, end) is not None:
            end -= 1
        if end < len(original):
            # Invisibles cut the chunk before them off: a mark appended after
            # them starts a chunk of its own. Only a tag run among them moves.
            tags = _TAG_TEXT.search(original, end) is not None
            judged = self._normalized_before(end) if tags else len(self.text)
            return self._unfolded(judged), end
        base = end
        while base > 0 and _continues(original[base - 1]):
            base -= 1
        base = max(base - 1, 0)
        if base == end - 1 and original[base] in _EXTENSIBLE:
            judged = len(self.text)
        else:
            judged = self._normalized_before(base)
        return self._unfolded(judged), base

    def _unfolded(self, judged: int) -> int:
        """``judged``, or the start of a run of letters ending there that holds
        an unfolded look-alike (held even where what follows cannot join it)."""
        start = judged
        while start > 0 and self.text[start - 1] in _RUN_LETTERS:
            start -= 1
        if any(c in _LOOKALIKE_SET for c in self.text[start:judged]):
            return start
        return judged

    def original_offset(self, index: int) -> int:
        """Where the first ``index`` characters of :attr:`text` end in the
        original: the start of the original characters behind character
        ``index`` (dropped invisibles before it included)."""
        if not 0 <= index <= len(self.text):
            raise ValueError(f"offset {index} outside normalised text of length {len(self.text)}")
        if index == len(self.text):
            return len(self.original)
        return index if self._map is None else self._map.origin(index)[0]

    def _normalized_before(self, end: int) -> int:
        """How many characters of :attr:`text` come wholly from ``original[:end]``."""
        if self._map is None:
            return end
        offsets = self._map
        return bisect_right(range(len(self.text)), end, key=lambda i: offsets.origin(i)[1])


#: ASCII characters that no appended mark recomposes: the normal form of one
#: followed by marks still starts with it (tests/guards/test_unicode.py checks)
_EXTENSIBLE = frozenset("\t\n\r !\"#$%&'()*+,-./0123456789:;?@[\\]^_`{|}~")


# Default_Ignorable_Code_Point (Unicode DerivedCoreProperties) plus the interlinear
# annotation and Egyptian format controls, which also render as nothing. Kept in two
# halves: a class with astral code points makes re test a slow list of ranges.
_INVISIBLE_BMP_CLASS = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb"
)
_INVISIBLE_ASTRAL_CLASS = (
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U00013430-\U0001343f\U000e0000-\U000e0fff"
)
_INVISIBLE_BMP = re.compile(f"[{_INVISIBLE_BMP_CLASS}]")
_INVISIBLE_RUN = re.compile(f"[{_INVISIBLE_BMP_CLASS}{_INVISIBLE_ASTRAL_CLASS}]+")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_TAG_TEXT = re.compile("[\U000e0020-\U000e007e]+")
_TAG_OFFSET = 0xE0000
_BLACK_FLAG = "\U0001f3f4"

# Characters that NFKC leaves alone, that are not marks and never compose with the
# character before them: runs of them are copied without a per-character look.
# tests/guards/test_unicode.py checks every range against unicodedata.
_STABLE_CLASS = (
    "\x00-\x9f\xbf-\u0131\u0134-\u013e\u014a-\u017e\u0180-\u01c3\u01cd-\u01f0"
    "\u01f4-\u02af\u038e-\u03a1\u03a3-\u03cf\u03fa-\u0482\u048a-\u052f\u0531-\u0556"
    "\u0559-\u0586\u05d0-\u05ea\u061d-\u064a\u3041-\u3096\u30a1-\u30fa"
    "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3"
)
_STABLE_RUN = re.compile(f"[{_STABLE_CLASS}]+")
_UNSTABLE_RUN = re.compile(f"[^{_STABLE_CLASS}]+")

# Blocks holding the compatibility characters met in practice: fullwidth forms,
# mathematical alphanumerics, letterlike and enclosed forms, exotic spaces.
_COMPAT_BLOCKS = (
    (0x00A0, 0x00BF), (0x017F, 0x017F), (0x02B0, 0x02FF), (0x0370, 0x03FF),
    (0x1D00, 0x1DBF), (0x2000, 0x218F), (0x2460, 0x24FF), (0x3000, 0x3000),
    (0x3200, 0x33FF), (0xFB00, 0xFDFF), (0xFE10, 0xFEFF), (0xFF00, 0xFFEF),
    (0x1D400, 0x1D7FF), (0x1EE00, 0x1EEFF), (0x1F100, 0x1F1FF), (0x1FBF0, 0x1FBF9),
)  # fmt: skip


def _continues(char: str) -> bool:
    """Whether ``char`` composes with what precedes it (a mark or a Hangul V/T jamo)."""
    return unicodedata.category(char)[0] == "M" or "\u1160" <= char <= "\u11ff"


def _one_for_one_nfkc() -> Mapping[int, str]:
    """Characters NFKC turns into one other character, safe to replace in place.

    Replacing them with ``str.translate`` keeps every offset, so text whose only
    compatibility characters are these (CJK with fullwidth punctuation, fullwidth
    or mathematical letters) needs no offset map and no per-character Python.
    """
    table = {}
    for low, high in _COMPAT_BLOCKS:
        for code in range(low, high + 1):
            char = chr(code)
            out = unicodedata.normalize("NFKC", char)
            if len(out) != 1 or out == char or _continues(char) or _continues(out):
                continue
            if not "\u1100" <= out <= "\u11ff":  # conjoining jamo compose with neighbours
                table[code] = out
    return types.MappingProxyType(table)


_NFKC_ONE_FOR_ONE = _one_for_one_nfkc()

_HOMOGLYPHS = types.MappingProxyType(
    str.maketrans(
        # Cyrillic
        "аеорсухѕіјԁԛԝһӏүкАВЕКМНОРСТХУЅІЈԚԜӀҮҺԌ"
        # Greek
        "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧοανριϳγͿ"  # noqa: RUF001
        # Armenian
        "օսհոցզՏՕՍ"  # noqa: RUF001
        # Latin letters outside ASCII that pass for ASCII ones
        "ɑɡɩʏᴠᴡᴢᴄᴏᴜ",  # noqa: RUF001
        "aeopcyxsijdqwhlykABEKMHOPCTXYSIJQWIYHGABEZHIKMNOPTYXoavpijyJouhngqSOUagiyvwzcou",
    )
)
_LOOKALIKES = "".join(chr(code) for code in _HOMOGLYPHS)
_LOOKALIKE_SET = frozenset(_LOOKALIKES)
_RUN_LETTERS = frozenset(string.ascii_letters) | _LOOKALIKE_SET
_ANY_LOOKALIKE = re.compile(f"[{_LOOKALIKES}]")
_ASCII_LETTER = re.compile("[A-Za-z]")
# A maximal run of ASCII letters and look-alikes that holds both kinds. The
# lookbehind lets only a run's first character start a match and the possessive
# quantifiers never give characters back, so each run is read once: linear time.
_RUN_LETTER = f"A-Za-z{_LOOKALIKES}"
_MIXED_RUN = re.compile(
    f"(?<![{_RUN_LETTER}])(?:[{_LOOKALIKES}]++[A-Za-z]|[A-Za-z]++[{_LOOKALIKES}])[{_RUN_LETTER}]*+"
)


def normalize(text: str) -> NormalizedText:
    """Normalise ``text`` for scanning; see the module docstring for what changes."""
    # Most traffic is ASCII, which no step changes: no per-character work at all.
    if text.isascii():
        return NormalizedText(text, text)
    scanned = text
    if not unicodedata.is_normalized("NFKC", scanned):
        scanned = _UNSTABLE_RUN.sub(_replace_one_for_one, scanned)
    if unicodedata.is_normalized("NFKC", scanned) and not _has_invisible(scanned):
        return NormalizedText(text, _fold_homoglyphs(scanned))
    # One-for-one replacement kept offsets, so the map built on ``scanned`` holds.
    scanned, offsets = _rewrite(scanned)
    return NormalizedText(text, _fold_homoglyphs(scanned), offsets)


def _replace_one_for_one(match: re.Match[str]) -> str:
    return match[0].translate(_NFKC_ONE_FOR_ONE)


def _has_invisible(text: str) -> bool:
    # Astral code points make re fall back to a slow range list: check them apart.
    if _INVISIBLE_BMP.search(text) is not None:
        return True
    return _ASTRAL.search(text) is not None and _INVISIBLE_RUN.search(text) is not None


def _fold_homoglyphs(text: str) -> str:
    if _ASCII_LETTER.search(text) is None or _ANY_LOOKALIKE.search(text) is None:
        return text
    return _MIXED_RUN.sub(_fold_run, text)


def _fold_run(match: re.Match[str]) -> str:
    return match[0].translate(_HOMOGLYPHS)


class _MapBuilder:
    """Collects output pieces and the segments of their offset map."""

    __slots__ = ("end", "linear", "out", "pending", "pieces", "size", "start")

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.out: list[int] = []
        self.start: list[int] = []
        self.end: list[int] = []
        self.linear: list[bool] = []
        self.size = 0
        self.pending = -1  # start of dropped characters not yet given to a kept one

    def add(self, text: str, start: int, end: int, *, linear: bool) -> None:
        """Output ``text``, made from original ``[start, end)`` (char for char if linear)."""
        if not text:
            if end > start and self.pending < 0:
                self.pending = start
            return
        pos = self.size
        self.pieces.append(text)
        self.size += len(text)
        if self.pending >= 0:
            if linear and len(text) > 1:
                self._segment(pos, self.pending, start + 1, linear=False)
                pos, start = pos + 1, start + 1
            else:
                start, linear = self.pending, False
            self.pending = -1
        self._segment(pos, start, end, linear=linear)

    def _segment(self, pos: int, start: int, end: int, *, linear: bool) -> None:
        self.out.append(pos)
        self.start.append(start)
        self.end.append(end)
        self.linear.append(linear)

    def finish(self, size: int) -> tuple[str, _OffsetMap]:
        if self.pending >= 0 and self.out:
            # The last kept character takes the dropped ones after it.
            last = self.size - 1
            if self.linear[-1] and self.out[-1] < last:
                self._segment(last, self.start[-1] + last - self.out[-1], size, linear=False)
            else:
                self.end[-1], self.linear[-1] = size, False
        offsets = _OffsetMap(
            tuple(self.out), tuple(self.start), tuple(self.end), tuple(self.linear)
        )
        return "".join(self.pieces), offsets


def _rewrite(text: str) -> tuple[str, _OffsetMap]:
    """NFKC per chunk, drop invisibles, decode tags; with the offset map."""
    built = _MapBuilder()
    size = len(text)
    pos = 0
    for run in _STABLE_RUN.finditer(text):
        start, end = run.span()
        _dirty(text, pos, start, built)
        # A mark after the run composes with its last character: leave that to NFKC.
        if end < size and _continues(text[end]):
            end -= 1
        if end > start:
            built.add(text[start:end], start, end, linear=True)
        pos = end
    _dirty(text, pos, size, built)
    return built.finish(size)


def _dirty(text: str, start: int, end: int, built: _MapBuilder) -> None:
    if start >= end:
        return
    pos = start
    for run in _INVISIBLE_RUN.finditer(text, start, end):
        _visible(text, pos, run.start(), built)
        _invisible(text, run.start(), run.end(), built)
        pos = run.end()
    _visible(text, pos, end, built)


def _visible(text: str, start: int, end: int, built: _MapBuilder) -> None:
    i = start
    while i < end:
        j = i + 1
        while j < end and _continues(text[j]):
            j += 1
        chunk = text[i:j]
        out = unicodedata.normalize("NFKC", chunk)
        built.add(out, i, j, linear=out == chunk)
        i = j


def _invisible(text: str, start: int, end: int, built: _MapBuilder) -> None:
    pos = start
    for tags in _TAG_TEXT.finditer(text, start, end):
        built.add("", pos, tags.start(), linear=False)
        low, high = tags.span()
        if low > 0 and text[low - 1] == _BLACK_FLAG:
            built.add("", low, high, linear=False)
        else:
            decoded = "".join(chr(ord(char) - _TAG_OFFSET) for char in tags.group())
            built.add(" ", low, low, linear=False)
            built.add(decoded, low, high, linear=True)
            built.add(" ", high, high, linear=False)
        pos = high
    built.add("", pos, end, linear=False)
