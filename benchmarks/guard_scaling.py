"""Deterministic guards' cost per 1,000 characters on a plain prompt and on
hostile long inputs, and how that cost grows with the text.

The tests (tests/guards/test_*.py) count each guard's work on the same
hostile shapes and fail when it grows faster than the text; this script
measures the time it takes. For every guard it times the ~1 kB plain prompt
of the overhead benchmark (workload.py) and each hostile shape of the tests
at --sizes characters (default 10,000, 30,000 and 100,000), best of
--repeats batches of at least 20 ms each, and reports microseconds per 1,000
characters and the growth ratio: per-character cost at the largest size over
that at the smallest, 1.0 for linear time (below 1.0 where a guard reads a
bounded part, as the language guard does). Absolute times are this machine's;
compare ratios within one run.

    python benchmarks/guard_scaling.py            # ~1 min; updates RESULTS.md
    python benchmarks/guard_scaling.py --quick    # smoke test, writes nothing

Writes ``results/guard_scaling.json`` and the "Guard scaling" section of
RESULTS.md (not with --quick).
"""

from __future__ import annotations

import argparse
import base64
import datetime
import json
import os
import platform
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from report import update_results_md
from workload import PROMPT

HERE = Path(__file__).resolve().parent
HEADING = "## Guard scaling (benchmarks/guard_scaling.py)"
PLAIN = PROMPT.replace("QQQQQQQQQQ", "Lindenhof")
RANDOM_TOKEN = "Zx9kQ2mLp7RtV4wN8bY3cF6hJ1sD5gT0"
WEAPONS = {"weapons": ["nerve agent", "bomb", "pipe bomb"], "drugs": ["meth", "crystal meth"]}


def repeated(unit: str, chars: int, suffix: str = "") -> str:
    return unit * max(1, chars // len(unit)) + suffix


def rep(unit: str, suffix: str = "") -> Callable[[int], str]:
    return lambda chars: repeated(unit, chars, suffix)


def blobs(chars: int) -> str:
    return " ".join(base64.b64encode(bytes([n % 256] * 12)).decode() for n in range(chars // 17))


def keyword_phrases(count: int) -> list[str]:
    return [f"term{i} word{i % 37}" for i in range(count)] + [f"w{i}" for i in range(count // 4)]


PROSE = " ".join(f"term{i} word{i % 37} filler" for i in range(0, 4_000, 7)) + " "

# The hostile shapes of tests/guards/test_<guard>.py, as texts of about N characters.
SHAPES: dict[str, dict[str, Callable[[int], str]]] = {
    "secrets": {
        "a": rep("a"),
        "Aa1": rep("Aa1"),
        "BEGIN lines": rep("-----BEGIN RSA PRIVATE KEY-----"),
        "BEGIN + header": rep(
            "-----BEGIN A PRIVATE KEY-----\nAAAA:", "-----END B PRIVATE KEY-----"
        ),
        "eyJ": rep("eyJ"),
        "eyJabc.": rep("eyJabc."),
        "sk-": rep("sk-"),
        "sk-ant-api03-": rep("sk-ant-api03-"),
        "password=": rep("password="),
        'password= ... "': rep("password=", '"'),
        'password="': rep('password="'),
        "token: aaaaaaa1": rep("token: aaaaaaa1 "),
        "Bearer": rep("Bearer "),
        "secret_access_key=": rep("secret_access_key="),
        "xoxb-": rep("xoxb-"),
        "random tokens": rep(RANDOM_TOKEN + " "),
    },
    "pii": {
        "digits": rep("1"),
        "digit pairs": rep("11 "),
        "email halves": lambda n: "a" * (n // 2) + "@" + "a." * (n // 4),
        "dotted": rep("1."),
        "colons": rep("a:", "::"),
        "IBAN heads": rep("GB82 "),
        "card halves": rep("4111 1111 "),
        "phone heads": rep("+1 ("),
        "digit groups": rep("0123 4567 "),
    },
    "injection": {
        "words": rep("ignore "),
        "fillers": rep("ignore all of the the the "),
        "base64 run": rep("A"),
        "spaced hex": rep("41 "),
        "markers": rep("<|im_start|>"),
        "cjk": rep("\u5ffd\u7565"),
        "mixed": rep("\u0416" * 4 + "A" * 20 + " "),
        "blobs": blobs,
    },
    "keywords": {
        "spaces": rep(" "),
        "letters": rep("a"),
        "long gap": lambda n: "nerve" + " " * n + "x",
        "near misses": rep("bom"),
        "cjk": rep("爆"),
    },
    "keywords (2,500 phrases)": {"prose with phrases": rep(PROSE)},
    "refusal": {
        "pronouns": rep("I "),
        "near misses": rep("I cannot "),
        "cjk": rep("我"),
        "german gap": lambda n: "ich kann " + repeated("x ", n),
        "many matches": rep("I'm sorry, but "),
    },
    "regex (user patterns)": {
        "(a+)+$": rep("a", "b"),
        "(a|aa)+c": rep("a"),
        "(x+x+)+y": rep("x"),
        r"(\w+\s?)+$": rep("word ", "!"),
        "(.*a){12}": rep("a"),
    },
    "language": {"Spanish": rep("El veloz murciélago hindú comía feliz cardillo y kiwi. ")},
    "unicode normalize": {
        "cyrillic run": rep("\u0430", "a"),
        "mixed words": rep("a\u0430 "),
        "invisibles and marks": lambda n: "\u200b" * (n // 2) + "e\u0301" * (n // 4),
        "fullwidth": rep("\uff41"),
    },
}


@dataclass(frozen=True)
class Subject:
    """What one guard row times: a scan function per shape (the regex guard
    builds one guard per pattern, each shape being its own pattern's input)."""

    plain: Callable[[str], object]
    per_shape: Callable[[str], Callable[[str], object]]


def subjects() -> dict[str, Subject]:
    from sluicegate.guards.registry import default_registry
    from sluicegate.guards.unicode import normalize

    registry = default_registry()

    def scanner(kind: str, settings: dict[str, Any] | None = None) -> Callable[[str], object]:
        return registry.create(kind, kind, settings or {}).scan_one

    def same(scan: Callable[[str], object]) -> Subject:
        return Subject(scan, lambda shape: scan)

    many = keyword_phrases(2_000)
    regex_guards = {
        pattern: scanner("regex", {"patterns": {"evil": pattern}})
        for pattern in SHAPES["regex (user patterns)"]
    }
    return {
        "secrets": same(scanner("secrets")),
        "pii": same(scanner("pii")),
        "injection": same(scanner("injection")),
        "keywords": same(scanner("keywords", {"categories": {**WEAPONS, "cjk": ["爆弾"]}})),
        "keywords (2,500 phrases)": same(
            scanner("keywords", {"categories": {"a": many[::2], "b": many[1::2]}})
        ),
        "refusal": same(scanner("refusal")),
        "regex (user patterns)": Subject(regex_guards["(a+)+$"], regex_guards.__getitem__),
        "language": same(scanner("language")),
        "unicode normalize": same(normalize),
    }


def per_call_s(call: Callable[[], object], repeats: int, batch_s: float = 0.02) -> float:
    """Best of ``repeats`` batches, each long enough to read a clock reliably."""
    call()  # warm: caches and lazily loaded metadata are no part of a text's cost
    loops = 1
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            call()
        if (elapsed := time.perf_counter() - start) >= batch_s:
            break
        loops = max(loops * 2, int(loops * batch_s / max(elapsed, 1e-9)) + 1)
    best = elapsed / loops
    for _ in range(repeats - 1):
        start = time.perf_counter()
        for _ in range(loops):
            call()
        best = min(best, (time.perf_counter() - start) / loops)
    return best


def measure(sizes: list[int], repeats: int) -> dict[str, Any]:
    rows = []
    for guard, subject in subjects().items():
        plain_s = per_call_s(lambda: subject.plain(PLAIN), repeats)  # noqa: B023
        row: dict[str, Any] = {
            "guard": guard,
            "plain_us_per_kb": plain_s * 1e6 / (len(PLAIN) / 1000),
            "shapes": [],
        }
        for name, shape in SHAPES[guard].items():
            scan = subject.per_shape(name)
            costs = []
            for size in sizes:
                text = shape(size)
                seconds = per_call_s(lambda: scan(text), repeats)  # noqa: B023
                costs.append({"chars": len(text), "us_per_kb": seconds * 1e6 / (len(text) / 1000)})
            growth = costs[-1]["us_per_kb"] / costs[0]["us_per_kb"]
            row["shapes"].append({"shape": name, "costs": costs, "growth": growth})
            print(
                f"{guard:26} {name:22} "
                + " ".join(f"{c['us_per_kb']:9.1f}" for c in costs)
                + f"  µs/kB  growth {growth:.2f}",
                flush=True,
            )
        rows.append(row)
    return {"rows": rows}


def describe(sizes: list[int], repeats: int) -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "-C", str(HERE.parent), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "commit": commit,
        "sizes": sizes,
        "repeats": repeats,
        "plain_chars": len(PLAIN),
    }


def render(results: dict[str, Any]) -> str:
    env = results["environment"]
    sizes = env["sizes"]
    low, high = f"{sizes[0] // 1000}k", f"{sizes[-1] // 1000}k"
    lines = [
        HEADING,
        "",
        f"- date: {env['date']}; {env['cpu']}, {env['cpu_count']} cores, Python {env['python']}, "
        f"commit {env['commit']}; one process, single-threaded, best of {env['repeats']} "
        "batches of at least 20 ms",
        f"- plain: the overhead benchmark's {env['plain_chars']}-character prompt; hostile: "
        f"the shapes of tests/guards/test_*.py at {', '.join(f'{s:,}' for s in sizes)} "
        "characters (full table in results/guard_scaling.json)",
        f"- growth: per-character cost at {high} over that at {low}; 1.00 is linear time. "
        "The tests assert linear work by counting it; these times are not a gate",
        "",
        f"| guard | plain µs/kB | hostile median µs/kB at {high} | costliest shape at {high} "
        "| µs/kB | x plain | median growth | highest growth (shape) |",
        "|---|---:|---:|---|---:|---:|---:|---|",
    ]
    for row in results["rows"]:
        shapes = row["shapes"]
        median = _median([s["costs"][-1]["us_per_kb"] for s in shapes])
        costliest = max(shapes, key=lambda s: s["costs"][-1]["us_per_kb"])
        steepest = max(shapes, key=lambda s: s["growth"])
        cost = costliest["costs"][-1]["us_per_kb"]
        lines.append(
            f"| {row['guard']} | {row['plain_us_per_kb']:.1f} | {median:.1f} "
            f"| `{costliest['shape']}` | {cost:.1f} | {cost / row['plain_us_per_kb']:.1f} "
            f"| {_median([s['growth'] for s in shapes]):.2f} "
            f"| {steepest['growth']:.2f} (`{steepest['shape']}`) |"
        )
    lines += [
        "",
        "The costliest shapes are those with a finding, a validator call or a decoded blob "
        "per few characters (`token: aaaaaaa1`, random tokens, base64 blobs, one disclaimer "
        "per 15 characters), not the near-misses. The language guard reads a bounded head "
        "and tail, so its cost per kB falls with the length. The regex guard's `(.*a){12}` "
        "is RE2 computing submatches with its NFA once the text outgrows its bit-state "
        "matcher: linear, but about 0.4-0.8 µs per character. Single growth ratios between "
        "about 0.7 and 1.6 come and go between runs on a shared 2-core machine; the tests' "
        "counts, not these times, show that the work is linear.",
    ]
    return "\n".join(lines) + "\n"


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="sizes 2k and 8k, 2 repeats")
    parser.add_argument(
        "--render",
        type=Path,
        metavar="JSON",
        help="only rewrite the RESULTS.md section from a results file",
    )
    args = parser.parse_args()
    if args.render:
        section = render(json.loads(args.render.read_text(encoding="utf-8")))
        print(section)
        update_results_md(HERE / "RESULTS.md", section, heading=HEADING)
        return
    sizes, repeats = ([2_000, 8_000], 2) if args.quick else (sorted(args.sizes), args.repeats)
    results = {"environment": describe(sizes, repeats), **measure(sizes, repeats)}
    section = render(results)
    print()
    print(section)
    if not args.quick:
        (HERE / "results").mkdir(exist_ok=True)
        output = HERE / "results" / "guard_scaling.json"
        output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        update_results_md(HERE / "RESULTS.md", section, heading=HEADING)


if __name__ == "__main__":
    main()
