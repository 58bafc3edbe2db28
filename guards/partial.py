"""Where a pattern could still change its matches if the text went on: the
``settled`` side of the pattern guards (:class:`.base.IncrementalGuard`).

A *twin* of each scanning pattern is compiled with the ``regex`` package as
``(?:pattern)(?!)``: it can never match, so with ``partial=True`` a search
explores every path the engine could take from each position, and reports a
partial match at the first position where some path ran into the end of the
text. Positions before it are decided by the text already there: none of their
paths reads past the end, so appending text cannot change what is matched at
them. This is stronger than ``finditer(partial=True)``, which prefers a complete
match and so misses ``ab|a`` at "a" and lookaheads that read the end ("123."
before "4" for a card number's ``(?![.-]\\d)``).

``regex`` does not count a zero-width assertion that holds at the end (``$``,
``\\b``, ``\\Z``) as reading past it, so those are rewritten as lookaheads,
which do. The twin is used for ``settled`` only; scanning keeps its own engine.
A twin may accept more than its pattern (RE2's ``[\\W]`` becomes "any
character"): that can only hold more text back, never less.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

import regex

__all__ = [
    "PrefixClosure",
    "Twin",
    "held_from",
    "matches_around",
    "python_twin",
    "re2_twin",
    "widen",
]

_END = r"(?![\s\S])"
# ``$`` in Python stops before a final newline, and with (?m) before any; one
# lookahead covering both is a superset of either, which is all a twin needs.
_DOLLAR = r"(?=\n|(?![\s\S]))"
_PY_EDGES = {
    "b": r"(?:(?<=\w)(?!\w)|(?<!\w)(?=\w))",
    "B": r"(?:(?<=\w)(?=\w)|(?<!\w)(?!\w))",
    "Z": _END,
}
# RE2's Perl classes and word edges are ASCII-only, whatever the case folding.
_ASCII = {"w": "0-9A-Za-z_", "d": "0-9", "s": "\\t\\n\\f\\r "}
_ASCII_NOT = {"W": "w", "D": "d", "S": "s"}
_AW = "[0-9A-Za-z_]"
_RE2_EDGES = {
    "b": f"(?:(?<={_AW})(?!{_AW})|(?<!{_AW})(?={_AW}))",
    "B": f"(?:(?<={_AW})(?={_AW})|(?<!{_AW})(?!{_AW}))",
    "z": _END,
    "C": r"[\s\S]",
}
_LEADING_FLAGS = re.compile(r"\(\?([aiLmsux]+)\)")
_FLAG_BITS = {
    "a": regex.ASCII,
    "i": regex.IGNORECASE,
    "L": regex.LOCALE,
    "m": regex.MULTILINE,
    "s": regex.DOTALL,
    "u": regex.UNICODE,
    "x": regex.VERBOSE,
}


def python_twin(pattern: str, flags: int = 0) -> Twin:
    """The twin of a pattern written for Python's ``re`` (same syntax)."""
    return _compile(_rewrite_python(pattern), flags)


def re2_twin(pattern: str, *, ignore_case: bool = False) -> Twin | None:
    """The twin of an RE2 pattern, or None when ``regex`` cannot read it."""
    try:
        rewritten = _rewrite_re2(pattern)
        return _compile(rewritten, regex.IGNORECASE if ignore_case else 0)
    except (regex.error, ValueError, OverflowError):
        return None


@dataclass(frozen=True, slots=True)
class Twin:
    """A never-matching twin and what bounds its search: a path from one
    position reads at most ``reach`` characters (None: no bound), and consumes
    only ``alphabet`` characters (ASCII ones; ``non_ascii`` for the others;
    None: anything) before its lookaheads read at most ``lookahead`` more. A
    path that reads the end must start after the last character it cannot
    consume, so most searches cover a word or two, not the text."""

    pattern: regex.Pattern[str]
    reach: int | None
    alphabet: frozenset[str] | None
    non_ascii: bool
    lookahead: int
    #: every match consumes a character, so a path starts on an alphabet one
    consumes: bool = False
    #: runs of non-whitespace characters a path can read (None: no bound):
    #: phrases allow any run of spaces or letters, but only so many words
    solid: int | None = None

    def held_from(self, text: str) -> int:
        """The first position where a match of the pattern could still start or
        change when text is appended; ``len(text)`` when there is none."""
        size = len(text)
        start = 0 if self.reach is None else max(0, size - self.reach)
        if self.solid is not None and self.alphabet is None:
            head = text.rsplit(None, self.solid)
            if len(head) > self.solid:  # more words than a path can read
                start = max(start, len(head[0]))
        if self.alphabet is not None:
            run = max(size - self.lookahead, 0)
            alphabet, non_ascii = self.alphabet, self.non_ascii
            while run > start and (
                text[run - 1] in alphabet or (non_ascii and not text[run - 1].isascii())
            ):
                run -= 1
            start = max(start, run)
            # Only the lookahead's characters remain, and a path cannot start
            # on any of them: nothing to search (most searches end here).
            if self.consumes and not any(
                c in alphabet or (non_ascii and not c.isascii()) for c in text[start:]
            ):
                return size
        found = self.pattern.search(text, start, partial=True)
        return size if found is None else found.start()


    def run_start(self, text: str, end: int) -> int:
        """Where the run of alphabet characters ending at ``end`` starts: no
        match holds the character before it, so a scan from there sees the same
        matches after it as a scan from the start of the text. 0 without an
        alphabet (or for a pattern that can match nothing at all)."""
        if self.alphabet is None or not self.consumes:
            return 0
        alphabet, non_ascii = self.alphabet, self.non_ascii
        while end > 0 and (
            text[end - 1] in alphabet or (non_ascii and not text[end - 1].isascii())
        ):
            end -= 1
        return end


def held_from(twins: Iterable[Twin], text: str) -> int:
    """The least :meth:`Twin.held_from` of ``twins``."""
    return min((twin.held_from(text) for twin in twins), default=len(text))


def widen(held: int, crossing: Callable[[int], Iterable[tuple[int, int]]]) -> int:
    """Move ``held`` back to the start of every span that crosses it, until none
    does: a candidate that straddles the held point can lose an overlap to one
    that starts later, and then free a weaker one that starts before it.
    ``crossing(at)`` gives (at least) the candidate spans around ``at``."""
    while True:
        starts = [start for start, end in crossing(held) if start < held < end]
        if not starts:
            return held
        held = min(starts)


def matches_around(
    pattern: re.Pattern[str], twin: Twin, text: str, at: int
) -> Iterator[tuple[int, int]]:
    """The spans of ``pattern.finditer(text)`` that start before ``at``, from
    the start of the alphabet run around ``at`` on, not from the text's start."""
    for match in pattern.finditer(text, twin.run_start(text, at)):
        if match.start() >= at:
            return
        yield match.span()


def _compile(pattern: str, flags: int) -> Twin:
    # Leading global flags stay global; the rest of the pattern is grouped so
    # that the never-matching tail applies to every alternative.
    while (lead := _LEADING_FLAGS.match(pattern)) is not None:
        for letter in lead[1]:
            flags |= _FLAG_BITS[letter]
        pattern = pattern[lead.end() :]
    twin = regex.compile(f"(?:{pattern})(?!)", flags)
    py_flags = sum(bit for rx, bit in _PY_FLAGS if flags & rx)
    try:
        parsed = sre_parse.parse(pattern, py_flags)
    except (re.error, ValueError, TypeError, OverflowError):
        return Twin(twin, None, None, False, 0)
    solid = _solid(parsed)
    bounded = None if solid >= _UNBOUNDED else solid + 1
    consumed = _Alphabet(
        ignore_case=bool(py_flags & re.IGNORECASE), ascii=bool(py_flags & re.ASCII)
    )
    consumed.walk(parsed)
    widths = list(_widths(parsed))
    lookahead = sum(widths[1:])
    reach = None if max(widths) >= sre.MAXREPEAT - 1 else sum(widths) + 1
    if lookahead >= sre.MAXREPEAT - 1 or consumed.everything:
        return Twin(twin, reach, None, False, 0, solid=bounded)
    consumes = parsed.getwidth()[0] > 0
    chars = frozenset(consumed.chars)
    return Twin(twin, reach, chars, consumed.non_ascii, lookahead + 1, consumes, bounded)


_UNBOUNDED = 1 << 30
_SPACES = frozenset(" \t\n\r\f\v\x1c\x1d\x1e\x1f\x85\xa0")


def _solid(parsed: object) -> int:
    """Upper bound on the runs of non-whitespace characters (words) a path of
    ``parsed`` reads, lookaheads included; ``_UNBOUNDED`` when there is none."""
    return _words(parsed)[0]


def _words(parsed: object) -> tuple[int, bool, bool]:
    """(words at most, can read whitespace, can read anything else)."""
    total, space, solid = 0, False, False
    for op, av in parsed:  # type: ignore[attr-defined]
        words, s, o = _atom_words(op, av)
        total, space, solid = total + words, space or s, solid or o
        if total >= _UNBOUNDED:
            return _UNBOUNDED, True, True
    return total, space, solid


def _atom_words(op: object, av: Any) -> tuple[int, bool, bool]:
    if op is sre.LITERAL:
        return (0, True, False) if chr(av) in _SPACES else (1, False, True)
    if op is sre.IN:
        if all(
            (o is sre.LITERAL and chr(a) in _SPACES)
            or (o is sre.CATEGORY and a is sre.CATEGORY_SPACE)
            for o, a in av
        ):
            return 0, True, False
        spaces = any(
            o is sre.NEGATE
            or (o is sre.CATEGORY and a is not sre.CATEGORY_DIGIT and a is not sre.CATEGORY_WORD)
            or (o is sre.LITERAL and chr(a) in _SPACES)
            or (o is sre.RANGE and any(chr(c) in _SPACES for c in range(a[0], min(a[1], 255) + 1)))
            for o, a in av
        )
        return 1, spaces, True
    if op in (sre.ANY, sre.NOT_LITERAL):
        return 1, True, True
    if op is sre.BRANCH:
        parts = [_words(sub) for sub in av[1]]
        return max(p[0] for p in parts), any(p[1] for p in parts), any(p[2] for p in parts)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        words, space, solid = _words(av[2])
        if not solid:
            return 0, space, False
        if not space:  # a repeat that never reads whitespace reads one word
            return 1, False, True
        if av[1] >= sre.MAXREPEAT:
            return _UNBOUNDED, True, True
        return min(words * av[1], _UNBOUNDED), True, True
    if op is sre.SUBPATTERN:
        return _words(av[3])
    if op is sre.ATOMIC_GROUP:
        return _words(av)
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        return _words(av[1]) if av[0] > 0 else (0, False, False)
    if op is sre.AT:
        return 0, False, False
    return _UNBOUNDED, True, True  # back-references and the rest: not bounded here


_PY_FLAGS = (
    (regex.IGNORECASE, re.IGNORECASE),
    (regex.MULTILINE, re.MULTILINE),
    (regex.DOTALL, re.DOTALL),
    (regex.VERBOSE, re.VERBOSE),
    (regex.ASCII, re.ASCII),
)
_CATEGORIES = {
    sre.CATEGORY_DIGIT: "0123456789",
    sre.CATEGORY_WORD: "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_",
    sre.CATEGORY_SPACE: " \t\n\r\f\v\x1c\x1d\x1e\x1f",
}
_NEGATED = {
    sre.CATEGORY_NOT_WORD: sre.CATEGORY_WORD,
    sre.CATEGORY_NOT_DIGIT: sre.CATEGORY_DIGIT,
    sre.CATEGORY_NOT_SPACE: sre.CATEGORY_SPACE,
}


class _Alphabet:
    """The characters a parsed pattern can consume outside its lookarounds."""

    def __init__(self, *, ignore_case: bool, ascii: bool) -> None:
        self.ignore_case = ignore_case
        self.ascii = ascii
        self.chars: set[str] = set()
        self.non_ascii = False
        self.everything = False

    def add(self, code: int) -> None:
        if code > 127:
            self.non_ascii = True
            return
        char = chr(code)
        self.chars.add(char)
        if self.ignore_case:
            self.chars.update((char.lower(), char.upper()))
            self.non_ascii = self.non_ascii or not self.ascii  # "K" folds with U+212A

    def walk(self, parsed: Any) -> None:
        for op, av in parsed:
            if op is sre.LITERAL:
                self.add(av)
            elif op in (sre.ANY, sre.NOT_LITERAL):
                self.everything = True
            elif op is sre.IN:
                self._set(av)
            elif op in _NESTING:
                for sub in _nested(op, av):
                    self.walk(sub)
            elif op not in (sre.ASSERT, sre.ASSERT_NOT, sre.AT, sre.GROUPREF):
                self.everything = True  # an operator not known here: no bound

    def _set(self, items: list[tuple[Any, Any]]) -> None:
        if items and items[0][0] is sre.NEGATE:
            # [^\W_] is a part of \w: a negated set holding a negated class
            # is a part of that class. Any other negated set: nearly anything.
            negated = {av for op, av in items[1:] if op is sre.CATEGORY}
            for category, positive in _NEGATED.items():
                if category in negated:
                    self._set([(sre.CATEGORY, positive)])
                    return
            self.everything = True
            return
        for op, av in items:
            if op is sre.LITERAL:
                self.add(int(av))
            elif op is sre.RANGE:
                low, high = av
                for code in range(low, min(high, 127) + 1):
                    self.add(code)
                if high > 127:
                    self.non_ascii = True
            elif op is sre.CATEGORY and av in _CATEGORIES:
                for char in _CATEGORIES[av]:
                    self.add(ord(char))
                self.non_ascii = self.non_ascii or not self.ascii
            else:  # a negated class: nearly anything
                self.everything = True


def _widths(parsed: Any) -> Iterable[int]:
    """The longest match of a parsed pattern, then of each lookahead in it."""
    yield parsed.getwidth()[1]
    stack = [parsed]
    while stack:
        for op, av in stack.pop():
            if op in (sre.ASSERT, sre.ASSERT_NOT):
                direction, sub = av
                if direction > 0:
                    yield sub.getwidth()[1]
                stack.append(sub)
            elif op in _NESTING:
                stack.extend(_nested(op, av))


_NESTING = frozenset(
    {
        sre.BRANCH,
        sre.MAX_REPEAT,
        sre.MIN_REPEAT,
        sre.POSSESSIVE_REPEAT,
        sre.SUBPATTERN,
        sre.ATOMIC_GROUP,
        sre.GROUPREF_EXISTS,
    }
)


def _nested(op: Any, av: Any) -> list[Any]:
    """The sub-patterns of a parsed node that holds others (one of _NESTING)."""
    if op is sre.BRANCH:
        return list(av[1])
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        return [av[2]]
    if op is sre.SUBPATTERN:
        return [av[3]]
    if op is sre.ATOMIC_GROUP:
        return [av]
    return [sub for sub in av[1:] if sub is not None]  # GROUPREF_EXISTS


def _rewrite_python(pattern: str) -> str:
    out: list[str] = []
    i, size, in_class = 0, len(pattern), False
    while i < size:
        char = pattern[i]
        if char == "\\" and i + 1 < size:
            escape = pattern[i + 1]
            out.append(_PY_EDGES.get(escape, char + escape) if not in_class else char + escape)
            i += 2
            continue
        if in_class:
            in_class = char != "]" or _class_opened_at(pattern, i)
        elif char == "[":
            in_class = True
        elif char == "$":
            char = _DOLLAR
        out.append(char)
        i += 1
    return "".join(out)


def _class_opened_at(pattern: str, i: int) -> bool:
    """Whether the ``]`` at ``i`` is a literal: first in its class (``[]a]``, ``[^]a]``)."""
    j = i - 1
    if pattern[j] == "^":
        j -= 1
    return pattern[j] == "[" and (j == 0 or pattern[j - 1] != "\\")


def _rewrite_re2(pattern: str, classes: list[str] | None = None) -> str:
    """``pattern`` in ``regex`` syntax. With ``classes``, Unicode classes
    (``\\pL``) become private-use stand-ins, listed there, for Python's parser."""
    out: list[str] = []
    i, size = 0, len(pattern)
    while i < size:
        char = pattern[i]
        if char == "\\":
            if i + 1 >= size:
                raise ValueError("trailing backslash")
            escape = pattern[i + 1]
            if escape == "Q":  # \Q...\E: a literal
                stop = pattern.find("\\E", i + 2)
                stop = size if stop < 0 else stop
                out.append(regex.escape(pattern[i + 2 : stop]))
                i = stop + 2
                continue
            piece, i = _re2_escape(pattern, i, classes)
            if escape in _ASCII:
                piece = f"[{_ASCII[escape]}]"
            elif escape in _ASCII_NOT:
                piece = f"[^{_ASCII[_ASCII_NOT[escape]]}]"
            elif escape in _RE2_EDGES:
                piece = _RE2_EDGES[escape]
            out.append(piece)
            continue
        if char == "[":
            piece, i = _re2_class(pattern, i, classes)
            out.append(piece)
            continue
        if classes is not None and (flags := _INLINE_FLAGS.match(pattern, i)) is not None:
            # Python's parser wants these first; for a closure they do not
            # matter: case folding is set for the whole pattern, "." is any
            # character and anchors are dropped.
            i = flags.end()
            continue
        if char == "$":
            out.append(_DOLLAR)
        elif char == "{" and not pattern[i + 1 : i + 2].isdigit():
            out.append("\\{")  # RE2 reads "{,3}" as text, regex as a repetition
        else:
            out.append(char)
        i += 1
    return "".join(out)


def _re2_escape(pattern: str, i: int, classes: list[str] | None = None) -> tuple[str, int]:
    """One escape at ``i`` as regex spells it, and where the pattern goes on."""
    escape = pattern[i + 1]
    if escape == "x" and pattern[i + 2 : i + 3] == "{":
        stop = pattern.index("}", i + 3)
        return f"\\U{int(pattern[i + 3 : stop], 16):08x}", stop + 1
    if escape in "pP":
        stop = pattern.index("}", i + 3) + 1 if pattern[i + 2 : i + 3] == "{" else i + 3
        if classes is None:
            return pattern[i:stop], stop
        classes.append(pattern[i:stop])
        return chr(_STAND_IN + len(classes) - 1), stop
    return pattern[i : i + 2], i + 2


_STAND_IN = 0xF0000  # private use plane 15: stand-ins for Unicode classes
_INLINE_FLAGS = re.compile(r"\(\?[imsU]+\)")


def _re2_class(pattern: str, i: int, classes: list[str] | None = None) -> tuple[str, int]:
    """A bracket class at ``i``. Perl classes inside become ASCII ranges; a
    negated Perl class or a POSIX class where the set is negated has no exact
    spelling here, so the twin takes any character instead (a superset)."""
    j = i + 1
    negated = pattern[j : j + 1] == "^"
    if negated:
        j += 1
    items: list[str] = []
    exact = True
    first = True
    while j < len(pattern):
        char = pattern[j]
        if char == "]" and not first:
            body = "".join(items)
            return (f"[{'^' if negated else ''}{body}]" if exact else r"[\s\S]"), j + 1
        first = False
        if char == "[" and pattern[j + 1 : j + 2] == ":":
            stop = pattern.index(":]", j + 2)
            items.append(pattern[j : stop + 2])
            exact = exact and not negated and pattern[j + 2 : j + 3] != "^"
            j = stop + 2
            continue
        if char == "\\":
            escape = pattern[j + 1]
            piece, j = _re2_escape(pattern, j, classes)
            if escape in _ASCII:
                piece = _ASCII[escape]
            elif escape in _ASCII_NOT:
                exact = False
            items.append(piece)
            continue
        items.append("\\[" if char == "[" else char)
        j += 1
    raise ValueError("unterminated character class")


class PrefixClosure:
    """For RE2 phrase tables too large for a ``regex`` twin (a partial search
    tries every alternative at every position): an RE2 pattern for every
    prefix of every match, anchored at the end of the text. Its leftmost match
    is the first position whose tail could still become (or be) a match.
    Assertions and lookarounds are dropped (a superset: it may hold more)."""

    def __init__(self, pattern: Any) -> None:
        self._pattern = pattern

    @classmethod
    def of_re2(cls, pattern: str, *, ignore_case: bool = False) -> PrefixClosure | None:
        """None when the pattern cannot be read (then nothing is settled)."""
        classes: list[str] = []
        try:
            parsed = sre_parse.parse(_rewrite_re2(pattern, classes), re.IGNORECASE * ignore_case)
            closure = _Renderer(classes).prefixes(list(parsed))
        except (re.error, ValueError, TypeError, OverflowError, _Unreadable):
            return None
        import re2  # the gateway's engine; imported here so this module needs only regex

        options = re2.Options()
        options.case_sensitive = not ignore_case
        options.never_capture = True
        options.log_errors = False
        options.max_mem = 64 << 20
        try:
            return cls(re2.compile(f"(?:{closure})\\z", options))
        except re2.error:
            return None

    @classmethod
    def of_many(
        cls, patterns: Iterable[str], *, ignore_case: bool = False
    ) -> list[PrefixClosure] | None:
        """Closures of the alternation of ``patterns``, a few kilobytes of source
        each: one closure of hundreds of phrases outgrows RE2's DFA budget and
        falls back to its slow NFA. None when one cannot be built."""
        groups: list[list[str]] = [[]]
        size = 0
        for pattern in patterns:
            if size + len(pattern) > _GROUP_CHARS and groups[-1]:
                groups.append([])
                size = 0
            groups[-1].append(f"(?:{pattern})")
            size += len(pattern)
        closures = [cls.of_re2("|".join(group), ignore_case=ignore_case) for group in groups]
        return None if None in closures else [c for c in closures if c is not None]

    def held_from(self, text: str) -> int:
        subject: str | bytes = text.encode("ascii") if text.isascii() else text
        found = self._pattern.search(subject)
        return len(text) if found is None else int(found.start())


_GROUP_CHARS = 3000


class _Unreadable(Exception):
    pass


class _Renderer:
    """Renders a parsed pattern back as RE2 syntax, and its prefix closure;
    ``classes`` are the Unicode classes behind private-use stand-ins."""

    def __init__(self, classes: list[str]) -> None:
        self.classes = classes

    def prefixes(self, items: list[tuple[Any, Any]]) -> str:
        """Every prefix of a sequence: a prefix of its first item, or the whole
        first item and a prefix of the rest (right-nested, so the size stays
        linear in the pattern's)."""
        out = ""
        for op, av in reversed(items):
            whole, part = self.render((op, av)), self.prefix_item(op, av)
            out = f"(?:{part}|{whole}{out})" if out else part
        return out

    def prefix_item(self, op: Any, av: Any) -> str:
        if op in (sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN):
            return f"(?:{self.render((op, av))})?"
        if op is sre.BRANCH:
            return "(?:" + "|".join(self.prefixes(list(sub)) for sub in av[1]) + ")"
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            _, high, sub = av
            head = "*" if high >= sre.MAXREPEAT or high > 1000 else f"{{0,{max(high - 1, 0)}}}"
            return f"(?:{self.sequence(list(sub))}){head}{self.prefixes(list(sub))}"
        if op is sre.SUBPATTERN:
            return self.prefixes(list(av[3]))
        if op is sre.ATOMIC_GROUP:
            return self.prefixes(list(av))
        if op in (sre.ASSERT, sre.ASSERT_NOT, sre.AT):
            return ""  # reaching the end here already counts
        raise _Unreadable(str(op))

    def sequence(self, items: list[tuple[Any, Any]]) -> str:
        return "".join(self.render(item) for item in items)

    def render(self, item: tuple[Any, Any]) -> str:
        op, av = item
        if op is sre.LITERAL:
            return self.char(av)
        if op is sre.NOT_LITERAL:
            return f"[^{self.char(av)}]"
        if op is sre.ANY:
            return r"[\s\S]"
        if op is sre.IN:
            parts: list[str] = []
            for o, a in av:
                if o is sre.NEGATE:
                    parts.insert(0, "^")
                elif o is sre.LITERAL:
                    parts.append(self.char(a))
                elif o is sre.RANGE:
                    parts.append(f"{self.char(a[0])}-{self.char(a[1])}")
                elif o is sre.CATEGORY and a in _RE2_CATEGORIES:
                    parts.append(_RE2_CATEGORIES[a])
                else:
                    raise _Unreadable(str(o))
            return f"[{''.join(parts)}]"
        if op is sre.BRANCH:
            return "(?:" + "|".join(self.sequence(list(sub)) for sub in av[1]) + ")"
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, high, sub = av
            low = min(low, 1000)
            count = f"{{{low},}}" if high >= sre.MAXREPEAT or high > 1000 else f"{{{low},{high}}}"
            return f"(?:{self.sequence(list(sub))}){count}"
        if op is sre.SUBPATTERN:
            return f"(?:{self.sequence(list(av[3]))})"
        if op is sre.ATOMIC_GROUP:
            return f"(?:{self.sequence(list(av))})"
        if op in (sre.ASSERT, sre.ASSERT_NOT, sre.AT):
            return ""  # dropped: the closure accepts more, never less
        raise _Unreadable(str(op))

    def char(self, code: int) -> str:
        if 0 <= code - _STAND_IN < len(self.classes):
            return self.classes[code - _STAND_IN]
        return f"\\x{{{code:x}}}"


_RE2_CATEGORIES = {
    sre.CATEGORY_DIGIT: r"\d",
    sre.CATEGORY_NOT_DIGIT: r"\D",
    sre.CATEGORY_WORD: r"\w",
    sre.CATEGORY_NOT_WORD: r"\W",
    sre.CATEGORY_SPACE: r"\s",
    sre.CATEGORY_NOT_SPACE: r"\S",
}
