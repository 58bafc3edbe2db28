"""How much work a guard's scan does, counted rather than timed.

Tests must not read a clock, yet the pattern guards promise time linear in the
text (no catastrophic backtracking, no quadratic loop). :class:`WorkMeter`
measures a call as three deterministic counts:

* ``lines``: Python line events (``sys.settrace``) in the guard and in every
  library it calls (validators, the RE2 wrapper), so a Python loop that turns
  quadratic shows here;
* ``backtracking``: the steps a backtracking matcher takes to replay each call
  into Python's ``re`` (see :class:`_Program`): a pattern that backtracks
  super-linearly, or a search restarted from every position, shows here;
* ``scanned``: characters handed to RE2 (linear by construction) or to a
  charged call (:meth:`WorkMeter.charge`), so repeated passes over the text
  show here.

Native code outside the two engines (``str`` methods, ``json``, ``base64``,
fastText) is not counted, only the Python lines that call it.

:func:`instrumented` swaps the regex objects a guard reaches (its attributes,
the closures it keeps, the globals of the modules named) for counting
proxies, and puts them back afterwards. A proxy returns the real engine's
results, and checks that its replay found the same spans, so the guard under
test behaves exactly as it does in production and a replay that disagreed
with ``re`` fails loudly instead of counting the wrong thing.

The replay is a plain backtracking matcher over the parse tree that ``re``
itself builds (``re._parser``): it tries the alternatives and repetition
counts in the same order as ``re``, one step per node tried, per character a
class run reads and per retry after a failure; which characters a class
accepts is asked of ``re``. ``re``'s own shortcuts (literal-prefix scans,
checking the next literal before giving a character back) make steps
cheaper or skip hopeless ones, but do not change how the number of paths
tried grows with the text: backtracking that is super-linear in ``re`` is
super-linear in the replay.
"""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

import re2

__all__ = ["SuperLinear", "Work", "WorkMeter", "assert_linear", "instrumented", "repeated"]

_HERE = __file__
#: a replay that needs more steps than this is far from linear for any text a
#: test builds: stop it instead of running for minutes
STEP_BUDGET = 20_000_000
#: what a measurement may add on top of proportional growth: the fixed cost of
#: a call (the gate, building the result), whatever the text's length
SLACK = 200


class SuperLinear(AssertionError):
    """A replay ran past :data:`STEP_BUDGET`."""


@dataclass(frozen=True, slots=True)
class Work:
    lines: int
    backtracking: int
    scanned: int

    def __str__(self) -> str:
        return f"{self.lines} lines, {self.backtracking} re steps, {self.scanned} chars scanned"


def assert_linear(
    work_at: Callable[[int], Work],
    size: int,
    *,
    factor: int = 4,
    headroom: float = 1.1,
    warm_up: bool = True,
) -> tuple[Work, Work]:
    """Measure at ``size`` and ``factor * size``; each count may grow at most
    ``factor * headroom`` times (plus :data:`SLACK`). Linear work grows by
    ``factor`` or less, quadratic work by about ``factor ** 2``.

    A first, uncounted call at the larger size pays the one-time costs
    (phone metadata loaded per region, ``re``'s compile cache), which are
    no part of what a text costs."""
    if warm_up:
        work_at(factor * size)
    small, large = work_at(size), work_at(factor * size)
    for field in ("lines", "backtracking", "scanned"):
        low, high = getattr(small, field), getattr(large, field)
        assert high <= factor * headroom * low + SLACK, (
            f"{field} grew {high / max(low, 1):.2f}x for {factor}x the text: "
            f"{small} at {size} chars, {large} at {factor * size}"
        )
    return small, large


def repeated(unit: str, chars: int, suffix: str = "") -> str:
    """``unit`` repeated to about ``chars`` characters (once at least), then ``suffix``."""
    return unit * max(1, chars // len(unit)) + suffix


class WorkMeter:
    """Counts the work of the calls made inside :meth:`measure`."""

    def __init__(self) -> None:
        self._lines = 0
        self._steps = 0
        self._scanned = 0
        self.active = False

    def measure(self, call: Callable[[], object]) -> Work:
        """The work of ``call()``, which must not be measuring already."""
        assert not self.active, "measure() does not nest"
        self._lines = self._steps = self._scanned = 0
        previous = sys.gettrace()
        self.active = True
        sys.settrace(self._trace)
        try:
            call()
        finally:
            sys.settrace(previous)
            self.active = False
        return Work(self._lines, self._steps, self._scanned)

    def charge(self, chars: int) -> None:
        """Count ``chars`` characters read by a call into native code."""
        if self.active:
            self._scanned += chars

    # Tracing: every frame outside this module counts its lines.
    def _trace(self, frame: types.FrameType, event: str, arg: object) -> Any:
        if frame.f_code.co_filename == _HERE:
            return None
        return self._count

    def _count(self, frame: types.FrameType, event: str, arg: object) -> Any:
        if event == "line":
            self._lines += 1
        return self._count

    def _untraced(self) -> _Untraced:
        return _Untraced()

    def replay(self, program: _Program, text: str, pos: int, endpos: int, **how: Any) -> Any:
        """What ``program`` finds in ``text``, its steps counted."""
        with self._untraced():
            run = _Run()
            try:
                return program.run(run, text, pos, endpos, **how)
            finally:
                self._steps += run.steps

    def lazy_replay(self, program: _Program, text: str, pos: int, endpos: int) -> _Lazy:
        return _Lazy(self, program.scan(_Run(), text, pos, endpos))


class _Untraced:
    """Tracing off, and room for deep recursion, while the replay runs: it is
    Python too, and must neither count as the guard's lines nor pay the
    tracer's cost per step. A class here, not contextlib's decorator, whose
    own lines would be traced and counted."""

    def __enter__(self) -> None:
        self._trace = sys.gettrace()
        sys.settrace(None)
        self._limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(self._limit, 200_000))  # a frame or two per node on a path

    def __exit__(self, *exc: object) -> None:
        sys.setrecursionlimit(self._limit)
        sys.settrace(self._trace)


class _Lazy:
    """A replayed scan taken one match at a time, each counted as it is taken."""

    def __init__(self, meter: WorkMeter, scan: tuple[_Run, Iterator[tuple[int, int]]]) -> None:
        self._meter = meter
        self._run, self._spans = scan

    def next(self) -> tuple[int, int] | None:
        before = self._run.steps
        with self._meter._untraced():
            try:
                return next(self._spans, None)
            finally:
                self._meter._steps += self._run.steps - before


# ---------------------------------------------------------------- proxies


class _RePattern:
    """A compiled ``re`` pattern whose calls are replayed and counted."""

    def __init__(self, real: re.Pattern[str], meter: WorkMeter) -> None:
        self._real = real
        self._meter = meter
        self._compiled: _Program | None = None

    def __getattr__(self, name: str) -> Any:  # pattern, flags, groupindex, groups
        return getattr(self._real, name)

    @property
    def _program(self) -> _Program:
        # On first use: a guard holds patterns that scanning never runs.
        # Untraced: re's parser is Python, and no part of the guard's work.
        if self._compiled is None:
            with self._meter._untraced():
                self._compiled = _Program.of(self._real)
        return self._compiled

    def _agree(self, replayed: object, found: object) -> None:
        assert replayed == found, f"replay of {self._real.pattern!r}: {replayed}, re: {found}"

    def _anchored(self, method: str, text: str, pos: int, endpos: int) -> Any:
        match = getattr(self._real, method)(text, pos, endpos)
        if self._meter.active:
            full = method == "fullmatch"
            replayed = self._meter.replay(
                self._program, text, pos, endpos, anchored=True, full=full
            )
            self._agree(replayed, match.span() if match else None)
        return match

    def match(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> Any:
        return self._anchored("match", text, pos, endpos)

    def fullmatch(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> Any:
        return self._anchored("fullmatch", text, pos, endpos)

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> Any:
        match = self._real.search(text, pos, endpos)
        if self._meter.active:
            replayed = self._meter.replay(self._program, text, pos, endpos, count=1)
            self._agree(replayed, [match.span()] if match else [])
        return match

    def finditer(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[Any]:
        # Lazy, as re's: a caller that stops early (itertools.islice) pays
        # only for the matches it took.
        if not self._meter.active:
            yield from self._real.finditer(text, pos, endpos)
            return
        replay = self._meter.lazy_replay(self._program, text, pos, endpos)
        for match in self._real.finditer(text, pos, endpos):
            self._agree(replay.next(), match.span())
            yield match
        self._agree(replay.next(), None)

    def findall(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> Any:
        found = self._real.findall(text, pos, endpos)
        if self._meter.active:
            self._agree(len(self._meter.replay(self._program, text, pos, endpos)), len(found))
        return found

    def sub(self, repl: Any, text: str, count: int = 0) -> Any:
        if self._meter.active:
            spans = self._meter.replay(self._program, text, 0, sys.maxsize, count=count)
            self._agree(spans, [m.span() for m in self._real.finditer(text)][: count or None])
        return self._real.sub(repl, text, count)

    def split(self, text: str, maxsplit: int = 0) -> Any:
        if self._meter.active:
            self._meter.replay(self._program, text, 0, sys.maxsize, count=maxsplit)
        return self._real.split(text, maxsplit)


class _Re2Pattern:
    """A compiled RE2 pattern: each call reads the text once more (a str is
    also encoded to UTF-8 and its offsets mapped back), which is counted."""

    def __init__(self, real: Any, meter: WorkMeter) -> None:
        self._real = real
        self._meter = meter

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def _charge(self, text: str | bytes, pos: int | None, endpos: int | None) -> None:
        size = len(text)
        lo = 0 if pos is None else max(0, min(pos, size))
        hi = size if endpos is None else max(0, min(endpos, size))
        self._meter.charge((size if isinstance(text, str) else 0) + max(hi - lo, 0))

    def _call(self, method: str, text: Any, pos: Any = None, endpos: Any = None) -> Any:
        self._charge(text, pos, endpos)
        return getattr(self._real, method)(text, pos, endpos)

    def search(self, text: Any, pos: Any = None, endpos: Any = None) -> Any:
        return self._call("search", text, pos, endpos)

    def match(self, text: Any, pos: Any = None, endpos: Any = None) -> Any:
        return self._call("match", text, pos, endpos)

    def fullmatch(self, text: Any, pos: Any = None, endpos: Any = None) -> Any:
        return self._call("fullmatch", text, pos, endpos)

    def finditer(self, text: Any, pos: Any = None, endpos: Any = None) -> Any:
        return self._call("finditer", text, pos, endpos)

    def findall(self, text: Any, pos: Any = None, endpos: Any = None) -> Any:
        return self._call("findall", text, pos, endpos)


class _Re2Set:
    """An ``re2.Set``: one pass over the text per ``Match``."""

    def __init__(self, real: Any, meter: WorkMeter) -> None:
        self._real = real
        self._meter = meter

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def Match(self, text: str | bytes) -> Any:  # re2's name
        self._meter.charge(len(text))
        return self._real.Match(text)


_RE2_TYPES = (type(re2.compile("a")),)
_PROXIES = (_RePattern, _Re2Pattern, _Re2Set)


@contextmanager
def instrumented(*roots: object) -> Iterator[WorkMeter]:
    """Swap the regex objects reachable from ``roots`` (objects and modules)
    for counting proxies of one meter; restore them on exit."""
    meter = WorkMeter()
    undo: list[Callable[[], None]] = []
    proxies: dict[int, object] = {}
    seen: dict[int, Any] = {}  # id -> what wrap() gave: a tuple met twice is rebuilt once

    def proxy(value: Any) -> Any:
        if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
            return proxies.setdefault(id(value), _RePattern(value, meter))
        if isinstance(value, _RE2_TYPES):
            return proxies.setdefault(id(value), _Re2Pattern(value, meter))
        if isinstance(value, re2.Set):
            return proxies.setdefault(id(value), _Re2Set(value, meter))
        return None

    def wrap(value: Any) -> Any:
        """``value`` with proxies in it, or None where nothing changed."""
        found = proxy(value)
        if found is not None:
            return found
        if isinstance(value, _PROXIES):
            return None
        if id(value) in seen:
            return seen[id(value)]
        seen[id(value)] = None
        if isinstance(value, tuple) and not hasattr(value, "_fields"):
            items = [wrap(item) for item in value]
            if any(item is not None for item in items):
                pairs = zip(value, items, strict=True)
                seen[id(value)] = tuple(new if new is not None else old for old, new in pairs)
            return seen[id(value)]
        if isinstance(value, list):
            for index, item in enumerate(value):
                new = wrap(item)
                if new is not None:
                    value[index] = new
                    undo.append(lambda v=value, i=index, o=item: v.__setitem__(i, o))
            return None
        if isinstance(value, dict):
            for key, item in list(value.items()):
                new = wrap(item)
                if new is not None:
                    value[key] = new
                    undo.append(lambda v=value, k=key, o=item: v.__setitem__(k, o))
            return None
        if isinstance(value, types.MethodType):
            wrap(value.__func__)
            return None
        if isinstance(value, types.FunctionType) and value.__module__.startswith("sluicegate"):
            for cell in value.__closure__ or ():
                try:
                    contents = cell.cell_contents
                except ValueError:  # an empty cell
                    continue
                new = wrap(contents)
                if new is not None:
                    cell.cell_contents = new
                    undo.append(lambda c=cell, o=contents: setattr(c, "cell_contents", o))
        return None

    for root in roots:
        names = vars(root) if hasattr(root, "__dict__") else {}
        for name, value in list(names.items()):
            if isinstance(root, types.ModuleType) and isinstance(value, types.ModuleType):
                continue
            new = wrap(value)
            if new is not None:
                setattr(root, name, new)
                undo.append(lambda r=root, n=name, o=value: setattr(r, n, o))
    try:
        yield meter
    finally:
        for restore in reversed(undo):
            restore()


# ---------------------------------------------------------------- the replay


class _Run:
    """The state of one replayed call."""

    __slots__ = ("end", "groups", "steps", "text")

    def __init__(self) -> None:
        self.steps = 0
        self.text = ""
        self.end = 0
        self.groups: list[tuple[int, int] | None] = []


_Cont = Callable[[int], bool]
_Node = Callable[[_Run, int, _Cont], bool]
_FLAG_BITS = re.IGNORECASE | re.ASCII | re.DOTALL | re.MULTILINE | re.UNICODE


def _budget(run: _Run) -> None:
    if run.steps > STEP_BUDGET:
        raise SuperLinear(f"replay ran past {STEP_BUDGET:,} steps")


class _Program:
    """One ``re`` pattern, compiled to closures that count their steps."""

    _cache: dict[tuple[str, int], _Program] = {}  # noqa: RUF012 (shared by design)

    @classmethod
    def of(cls, real: re.Pattern[str]) -> _Program:
        key = (real.pattern, real.flags)
        if key not in cls._cache:
            cls._cache[key] = cls(real.pattern, real.flags)
        return cls._cache[key]

    def __init__(self, pattern: str, flags: int) -> None:
        parsed = sre_parse.parse(pattern, flags)
        self.groups = parsed.state.groups
        self.node = self._sequence(list(parsed), parsed.state.flags)

    # Running: a search from each start, as re's scanner does.
    def run(
        self,
        run: _Run,
        text: str,
        pos: int,
        endpos: int,
        *,
        count: int = 0,
        anchored: bool = False,
        full: bool = False,
    ) -> Any:
        """The span of an anchored attempt (or None), else the list of spans
        a scan finds (the first ``count`` of them, where ``count`` is set)."""
        run.text, run.end = text, max(0, min(endpos, len(text)))
        start = max(0, min(pos, len(text)))
        if anchored:
            got = self._attempt(run, start, full=full, must_advance=False)
            return None if got is None else (start, got)
        return list(self._spans(run, start, count))

    def scan(
        self, run: _Run, text: str, pos: int, endpos: int
    ) -> tuple[_Run, Iterator[tuple[int, int]]]:
        run.text, run.end = text, max(0, min(endpos, len(text)))
        return run, self._spans(run, max(0, min(pos, len(text))), 0)

    def _spans(self, run: _Run, start: int, count: int) -> Iterator[tuple[int, int]]:
        found = 0
        must_advance = False  # after an empty match, the next may not be empty there
        at = start
        while at <= run.end:
            got = self._attempt(run, at, full=False, must_advance=must_advance)
            if got is None:
                at += 1
                must_advance = False
                continue
            yield at, got
            found += 1
            if count and found >= count:
                return
            must_advance = got == at
            at = got

    def _attempt(self, run: _Run, at: int, *, full: bool, must_advance: bool) -> int | None:
        run.groups = [None] * self.groups
        run.steps += 1
        _budget(run)
        ends: list[int] = []

        def accept(pos: int) -> bool:
            if (full and pos != run.end) or (must_advance and pos == at):
                return False
            ends.append(pos)
            return True

        return ends[0] if self.node(run, at, accept) else None

    # Compiling the parse tree.
    def _sequence(self, items: list[tuple[Any, Any]], flags: int) -> _Node:
        nodes = [self._item(op, av, flags) for op, av in items]
        if not nodes:
            return lambda run, pos, k: k(pos)
        node = nodes[-1]
        for first in reversed(nodes[:-1]):
            node = _chain(first, node)
        return node

    def _item(self, op: Any, av: Any, flags: int) -> _Node:
        if op in (sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN):
            return _one(_char_class(op, av, flags))
        if op is sre.BRANCH:
            return _branch([self._sequence(list(alt), flags) for alt in av[1]])
        if op is sre.SUBPATTERN:
            group, add, remove, sub = av
            body = self._sequence(list(sub), (flags | add) & ~remove)
            return body if group is None else _capture(group, body)
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, high, sub = av
            items = list(sub)
            if len(items) == 1 and items[0][0] in (sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN):
                return _char_repeat(_char_class(*items[0], flags), low, high, op)
            return _repeat(self._sequence(items, flags), low, high, op)
        if op is sre.ATOMIC_GROUP:
            return _atomic(self._sequence(list(av), flags))
        if op in (sre.ASSERT, sre.ASSERT_NOT):
            direction, sub = av
            width = sub.getwidth()[0] if direction < 0 else 0
            return _assert(self._sequence(list(sub), flags), direction, width, op is sre.ASSERT)
        if op is sre.AT:
            return _at(av, flags)
        if op is sre.GROUPREF:
            return _groupref(av, bool(flags & re.IGNORECASE))
        if op is sre.GROUPREF_EXISTS:
            group, yes, no = av
            return _if_group(
                group,
                self._sequence(list(yes), flags),
                self._sequence(list(no) if no is not None else [], flags),
            )
        raise NotImplementedError(f"replay has no {op}")


def _chain(first: _Node, rest: _Node) -> _Node:
    def node(run: _Run, pos: int, k: _Cont) -> bool:
        return first(run, pos, lambda p: rest(run, p, k))

    return node


_CATEGORY_ESCAPES = {
    sre.CATEGORY_DIGIT: r"\d",
    sre.CATEGORY_NOT_DIGIT: r"\D",
    sre.CATEGORY_SPACE: r"\s",
    sre.CATEGORY_NOT_SPACE: r"\S",
    sre.CATEGORY_WORD: r"\w",
    sre.CATEGORY_NOT_WORD: r"\W",
}


def _char_class(op: Any, av: Any, flags: int) -> re.Pattern[str]:
    """One character of the parsed node, as an ``re`` pattern: which
    characters a class, a literal or ``.`` accepts is re's own answer (case
    folding included); only the counting is the replay's."""
    if op is sre.LITERAL:
        source = f"\\U{av:08x}"
    elif op is sre.NOT_LITERAL:
        source = f"[^\\U{av:08x}]"
    elif op is sre.ANY:
        source = "."
    else:
        parts = []
        for kind, value in av:
            if kind is sre.NEGATE:
                parts.append("^")
            elif kind is sre.LITERAL:
                parts.append(f"\\U{value:08x}")
            elif kind is sre.RANGE:
                parts.append(f"\\U{value[0]:08x}-\\U{value[1]:08x}")
            elif kind is sre.CATEGORY:
                parts.append(_CATEGORY_ESCAPES[value])
            else:
                raise NotImplementedError(f"replay has no class item {kind}")
        source = "[" + "".join(parts) + "]"
    return re.compile(f"(?:{source})*", flags & _FLAG_BITS)


def _one(chars: re.Pattern[str]) -> _Node:
    def node(run: _Run, pos: int, k: _Cont) -> bool:
        run.steps += 1
        if pos < run.end and chars.match(run.text, pos, pos + 1).end() > pos:
            return k(pos + 1)
        return False

    return node


def _char_repeat(chars: re.Pattern[str], low: int, high: int, op: Any) -> _Node:
    """A repeated single character: the run is read once (a step per
    character), then the continuation is tried at each length re would try."""

    def node(run: _Run, pos: int, k: _Cont) -> bool:
        limit = run.end if high >= sre.MAXREPEAT else min(run.end, pos + high)
        stop = chars.match(run.text, pos, limit).end() if pos <= limit else pos
        run.steps += stop - pos + 1
        _budget(run)
        if stop - pos < low:
            return False
        if op is sre.POSSESSIVE_REPEAT:
            return k(stop)
        lengths = (
            range(stop, pos + low - 1, -1) if op is sre.MAX_REPEAT else range(pos + low, stop + 1)
        )
        for at in lengths:
            run.steps += 1
            if k(at):
                return True
        return False

    return node


def _repeat(body: _Node, low: int, high: int, op: Any) -> _Node:
    greedy = op is not sre.MIN_REPEAT

    def step(run: _Run, pos: int, count: int, k: _Cont) -> bool:
        run.steps += 1
        _budget(run)

        def again(p: int) -> bool:
            # An empty iteration past the minimum ends the loop, as in re.
            return (p != pos or count < low) and step(run, p, count + 1, k)

        if greedy:
            if count < high and body(run, pos, again):
                return True
            return count >= low and k(pos)
        if count >= low and k(pos):
            return True
        return count < high and body(run, pos, again)

    def node(run: _Run, pos: int, k: _Cont) -> bool:
        return step(run, pos, 0, k)

    return _atomic(node) if op is sre.POSSESSIVE_REPEAT else node


def _atomic(body: _Node) -> _Node:
    def node(run: _Run, pos: int, k: _Cont) -> bool:
        ends: list[int] = []
        if not body(run, pos, lambda p: ends.append(p) is None):
            return False
        return k(ends[0])

    return node


def _branch(alternatives: list[_Node]) -> _Node:
    def node(run: _Run, pos: int, k: _Cont) -> bool:
        for alternative in alternatives:
            run.steps += 1
            if alternative(run, pos, k):
                return True
        return False

    return node


def _capture(group: int, body: _Node) -> _Node:
    def node(run: _Run, pos: int, k: _Cont) -> bool:
        def close(p: int) -> bool:
            old = run.groups[group - 1]
            run.groups[group - 1] = (pos, p)
            if k(p):
                return True
            run.groups[group - 1] = old
            return False

        return body(run, pos, close)

    return node


def _assert(body: _Node, direction: int, width: int, positive: bool) -> _Node:
    def node(run: _Run, pos: int, k: _Cont) -> bool:
        run.steps += 1
        saved = list(run.groups)
        if direction < 0:
            start = pos - width
            held = start >= 0 and body(run, start, lambda p: p == pos)
        else:
            held = body(run, pos, lambda p: True)
        if not positive:
            run.groups = saved
        return held == positive and k(pos)

    return node


def _at(code: Any, flags: int) -> _Node:
    multiline = bool(flags & re.MULTILINE)
    word = re.compile(r"\w", flags & (re.ASCII | re.UNICODE))

    def is_word(text: str, i: int) -> bool:
        return word.match(text, i, i + 1) is not None

    def holds(run: _Run, pos: int) -> bool:
        text, end = run.text, run.end
        if code is sre.AT_BEGINNING_STRING:
            return pos == 0
        if code is sre.AT_BEGINNING:
            return pos == 0 or (multiline and text[pos - 1] == "\n")
        if code is sre.AT_END_STRING:
            return pos == end
        if code is sre.AT_END:
            if multiline:
                return pos == end or text[pos] == "\n"
            return pos == end or (pos == end - 1 and text[pos] == "\n")
        if code in (sre.AT_BOUNDARY, sre.AT_NON_BOUNDARY):
            if end == 0:
                return False
            before = pos > 0 and is_word(text, pos - 1)
            after = pos < end and is_word(text, pos)
            return (before != after) == (code is sre.AT_BOUNDARY)
        raise NotImplementedError(f"replay has no {code}")

    def node(run: _Run, pos: int, k: _Cont) -> bool:
        run.steps += 1
        return holds(run, pos) and k(pos)

    return node


def _groupref(group: int, ignore_case: bool) -> _Node:
    def node(run: _Run, pos: int, k: _Cont) -> bool:
        span = run.groups[group - 1]
        run.steps += 1
        if span is None:
            return False
        wanted = run.text[span[0] : span[1]]
        got = run.text[pos : min(run.end, pos + len(wanted))]
        run.steps += len(wanted)
        same = got.lower() == wanted.lower() if ignore_case else got == wanted
        return same and k(pos + len(wanted))

    return node


def _if_group(group: int, yes: _Node, no: _Node) -> _Node:
    def node(run: _Run, pos: int, k: _Cont) -> bool:
        run.steps += 1
        return (yes if run.groups[group - 1] is not None else no)(run, pos, k)

    return node
