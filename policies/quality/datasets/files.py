"""Reading the shared files as they are: text, CSV, JSON, JSON lines, and a
set's own labels (never guessed)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any


def snake(value: str) -> str:
    """``"Harassment/Discrimination"`` -> ``"harassment_discrimination"``."""
    return re.sub(r"[\W_]+", "_", value.strip().lower()).strip("_")


def read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8-sig")


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(read_text(path), newline="")))


def read_csv_rows(path: Path) -> list[list[str]]:
    """A CSV file without a header row."""
    return list(csv.reader(io.StringIO(read_text(path), newline="")))


def read_json(path: Path) -> Any:
    return json.loads(read_text(path))


def read_jsonl(path: Path) -> list[Any]:
    # split on "\n" only: some texts hold U+2028, which str.splitlines also splits on
    return [json.loads(line) for line in read_text(path).split("\n") if line.strip()]


def read_lines(path: Path) -> list[str]:
    return [line.strip() for line in read_text(path).split("\n") if line.strip()]


def label(value: Any, positives: Collection[Any], negatives: Collection[Any], what: str) -> bool:
    """A set's own label; anything unexpected is an error, never a guess."""
    if value in positives:
        return True
    if value in negatives:
        return False
    raise ValueError(f"unexpected {what} {value!r}")
