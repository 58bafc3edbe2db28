"""The generic format: a JSONL, JSON-list, CSV or TSV file with ``text`` and
``label`` and the optional columns ``category``, ``language``, ``stage``,
``refusal`` and ``prompt``. Errors name the file and line.

Answers labelled for refusal detection read too: a ``label`` of ``refusal`` /
``compliance`` (or XSTest's ``full_refusal`` / ``partial_refusal`` /
``full_compliance``, with or without its ``1_``-style prefix) sets ``refusal``
instead of ``unsafe``, such rows default to the output stage, and their text
may be in ``completion`` or ``response`` (the prompt stays in ``prompt``)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .files import snake
from .samples import DatasetError, DatasetInfo, Sample, StageName

_TRUE_LABELS = frozenset({"1", "true", "unsafe", "harmful"})
_FALSE_LABELS = frozenset({"0", "false", "safe", "benign"})
# Refusal vocabularies: a partial refusal counts as a refusal, as XSTest scores it.
_REFUSAL_LABELS = {
    "refusal": True,
    "full_refusal": True,
    "partial_refusal": True,
    "compliance": False,
    "full_compliance": False,
}
_TEXT_FIELDS = ("text", "completion", "response")


def load_generic(path: Path) -> tuple[DatasetInfo, list[Sample]]:
    if not path.is_file():
        raise DatasetError(f"{path} not found (`sluicegate datasets` lists the named sets)")
    samples = [_generic_sample(record, where, path.stem) for where, record in _records(path)]
    if not samples:
        raise DatasetError(f"{path}: no samples")
    stage: StageName = "output" if all(s.stage == "output" for s in samples) else "input"
    info = DatasetInfo(
        name=path.stem,
        description=f"labelled samples from {path}",
        licence="unknown",
        redistributable=False,
        task="mixed",
        stage=stage,
        languages=tuple(sorted({s.language for s in samples if s.language})),
    )
    return info, samples


def _records(path: Path) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """``(file:line, record)`` pairs of a JSONL, JSON-list, CSV or TSV file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read ({exc})") from exc
    suffix = path.suffix.lower()
    head = text.lstrip()[:1]
    if suffix in (".csv", ".tsv") or (suffix not in (".json", ".jsonl") and head not in "{["):
        yield from _csv_records(path, text, "\t" if suffix == ".tsv" else ",")
        return
    if head == "[" and suffix != ".jsonl":
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from exc
        if not isinstance(items, list):
            raise DatasetError(f"{path}: expected a JSON list of objects or JSON lines")
        for number, item in enumerate(items, 1):
            yield from _as_record(item, f"{path}: item {number}")
        return
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{where}: invalid JSON ({exc.msg})") from exc
        yield from _as_record(item, where)


def _as_record(item: Any, where: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if not isinstance(item, dict):
        raise DatasetError(f"{where}: expected a JSON object, got {type(item).__name__}")
    yield where, item


def _csv_records(path: Path, text: str, delimiter: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        if reader.fieldnames is None:
            return
        if "text" not in reader.fieldnames:
            columns = ", ".join(reader.fieldnames)
            raise DatasetError(f"{path}:1: no 'text' column (columns: {columns})")
        for row in reader:
            yield f"{path}:{reader.line_num}", row
    except csv.Error as exc:
        raise DatasetError(f"{path}:{reader.line_num}: malformed CSV ({exc})") from exc


def _generic_sample(record: Mapping[str, Any], where: str, source: str) -> Sample:
    text = next((record[f] for f in _TEXT_FIELDS if record.get(f) not in (None, "")), None)
    if not isinstance(text, str) or not text.strip():
        raise DatasetError(f"{where}: missing or empty 'text' (or 'completion', 'response')")
    refusal = _flag(record.get("refusal"), where, "refusal")
    answer_label = _refusal_label(record.get("label"))
    if answer_label is not None:
        if refusal is not None and refusal != answer_label:
            raise DatasetError(f"{where}: 'label' and 'refusal' disagree")
        refusal, unsafe = answer_label, None
    else:
        unsafe = _flag(record.get("label"), where, "label")
    if unsafe is None and refusal is None:
        raise DatasetError(
            f"{where}: missing 'label' (0/1, true/false, safe/unsafe, benign/harmful, "
            "or refusal/compliance for answers)"
        )
    default_stage = "output" if answer_label is not None else "input"
    stage = _optional_str(record.get("stage")) or default_stage
    if stage not in ("input", "output"):
        raise DatasetError(f"{where}: 'stage' must be input or output, not {stage!r}")
    language = _optional_str(record.get("language"))
    if language is not None:
        language = language.replace("_", "-").split("-")[0].lower()
        if not re.fullmatch(r"[a-z]{2}", language):
            raise DatasetError(f"{where}: 'language' must be an ISO 639-1 code such as en or zh")
    category = _optional_str(record.get("category"))
    return Sample(
        text=text.strip(),
        unsafe=unsafe,
        category=snake(category) if category else None,
        language=language,
        stage="output" if stage == "output" else "input",
        refusal=refusal,
        prompt=_optional_str(record.get("prompt")),
        source=source,
    )


def _refusal_label(value: Any) -> bool | None:
    """True for a refusal, False for compliance, None for any other label."""
    if not isinstance(value, str):
        return None
    word = snake(value.strip())
    word = re.sub(r"^\d+_", "", word)  # XSTest writes "2_full_refusal"
    return _REFUSAL_LABELS.get(word)


def _flag(value: Any, where: str, column: str) -> bool | None:
    """A 0/1, true/false, safe/unsafe or benign/harmful cell; None when empty."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if not word:
            return None
        if word in _TRUE_LABELS:
            return True
        if word in _FALSE_LABELS:
            return False
    raise DatasetError(
        f"{where}: cannot read {column} {value!r} "
        "(use 0/1, true/false, safe/unsafe, benign/harmful, or refusal/compliance)"
    )


def _optional_str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
