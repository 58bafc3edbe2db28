"""One small reader per record shape, parameterised by the table.

A reader is called with the set's folder and the splits asked for (all of a
set's splits when none is named, ``()`` for a set without splits) and
returns the samples in file order. Which field is the text, how the set's
own label maps to ``unsafe``, where category and language come from: the
parameters say, so the table row is the whole description of a plain set.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .files import label, read_csv, read_json, read_jsonl, read_lines, snake
from .samples import Sample, StageName

#: (folder, splits) -> samples
Reader = Callable[[Path, tuple[str, ...]], list[Sample]]


@dataclass(frozen=True, slots=True)
class Label:
    """``unsafe`` from a field holding the set's own label: a value in
    ``positives`` is unsafe, one in ``negatives`` safe, anything else an error."""

    field: str
    positives: frozenset[Any]
    negatives: frozenset[Any] = frozenset()
    #: how an unexpected value is named in the error (default: the field)
    what: str | None = None

    def __call__(self, record: Mapping[str, Any]) -> bool:
        return label(record[self.field], self.positives, self.negatives, self.what or self.field)


@dataclass(frozen=True, slots=True)
class File:
    """One file of a set (or a glob of them), and what it says about its rows."""

    #: relative to the set's folder; ``*``, ``?`` or ``[`` make it a glob, read in sorted order
    path: str
    #: the split this file is; None: read whatever split is asked
    split: str | None = None
    #: every row's language; else the match of ``language_from`` on the file name
    language: str | None = None
    #: a regex with one group over the file name that gives its language
    language_from: str | None = None
    #: every row's category (else the reader's category field, if any)
    category: str | None = None
    #: every row's source (else the reader's)
    source: str | None = None

    def paths(self, folder: Path, splits: tuple[str, ...]) -> list[Path]:
        if self.split is not None and self.split not in splits:
            return []
        if any(c in self.path for c in "*?["):
            return sorted(folder.glob(self.path))
        return [folder / self.path]

    def language_of(self, path: Path, default: str | None) -> str | None:
        if self.language is not None:
            return self.language
        if self.language_from is not None:
            match = re.fullmatch(self.language_from, path.name)
            if match is None:
                raise ValueError(f"no language in file name {path.name!r}")
            return match[1]
        return default


def files(*paths: str) -> tuple[File, ...]:
    return tuple(File(p) for p in paths)


@dataclass(frozen=True, slots=True)
class Rows:
    """Records with a text field: CSV rows (with a header), JSON lines, or
    the objects of a JSON document (a list, or what ``records`` picks out)."""

    files: tuple[File, ...]
    text: str
    unsafe: bool | Label
    source: str
    format: Literal["csv", "jsonl", "json"] = "csv"
    #: field whose value (via ``category_names`` where given) is the category, snake-cased
    category: str | None = None
    category_names: Mapping[str, str] | None = None
    language: str | None = None
    stage: StageName = "input"
    #: rows carry their split in this field (instead of one file per split)
    split_field: str | None = None
    #: where the records sit in a JSON document
    records: Callable[[Any], Iterable[Mapping[str, Any]]] | None = None
    #: rows whose text is empty are left out rather than an error
    skip_empty: bool = False
    #: decode HTML entities in the text (``&amp;``, ``&#128555;``)
    unescape_html: bool = False

    def __call__(self, folder: Path, splits: tuple[str, ...]) -> list[Sample]:
        samples = []
        for file in self.files:
            for path in file.paths(folder, splits):
                language = file.language_of(path, self.language)
                for record in self._read(path):
                    if self.split_field is not None and record[self.split_field] not in splits:
                        continue
                    sample = self._sample(record, file, language)
                    if sample.text or not self.skip_empty:
                        samples.append(sample)
        return samples

    def _read(self, path: Path) -> Iterable[Mapping[str, Any]]:
        if self.format == "csv":
            return read_csv(path)
        if self.format == "jsonl":
            return read_jsonl(path)
        document = read_json(path)
        return document if self.records is None else self.records(document)

    def _sample(self, record: Mapping[str, Any], file: File, language: str | None) -> Sample:
        text = record[self.text]
        if self.unescape_html:
            text = html.unescape(text)
        category = file.category
        if category is None and self.category is not None:
            value = record[self.category]
            if self.category_names is not None:
                value = self.category_names[value]
            category = snake(value)
        return Sample(
            text.strip(),
            self.unsafe if isinstance(self.unsafe, bool) else self.unsafe(record),
            category,
            language,
            stage=self.stage,
            source=file.source or self.source,
        )


@dataclass(frozen=True, slots=True)
class Lines:
    """One text per non-empty line of a text file, or column ``column`` of a
    header-less TSV."""

    files: tuple[File, ...]
    unsafe: bool
    source: str
    language: str | None = None
    column: int | None = None

    def __call__(self, folder: Path, splits: tuple[str, ...]) -> list[Sample]:
        samples = []
        for file in self.files:
            for path in file.paths(folder, splits):
                language = file.language_of(path, self.language)
                for line in read_lines(path):
                    text = line if self.column is None else line.split("\t")[self.column].strip()
                    samples.append(Sample(text, self.unsafe, language=language, source=self.source))
        return samples


@dataclass(frozen=True, slots=True)
class Questions:
    """JSON question lists: a plain list of strings (no category), or
    ``{category: {subcategory: [question, ...]}}``, where the category is the
    top-level key (subcategories are dropped)."""

    files: tuple[File, ...]
    unsafe: bool
    source: str
    language: str | None = None

    def __call__(self, folder: Path, splits: tuple[str, ...]) -> list[Sample]:
        samples = []
        for file in self.files:
            for path in file.paths(folder, splits):
                language = file.language_of(path, self.language)
                samples += [
                    Sample(q.strip(), self.unsafe, category, language, source=self.source)
                    for category, q in _questions(read_json(path))
                ]
        return samples


def _questions(document: Any) -> Iterator[tuple[str | None, str]]:
    if isinstance(document, list):
        for question in document:
            yield None, question
        return
    for category, subcategories in document.items():
        for questions in subcategories.values():
            for question in questions:
                yield snake(category), question


@dataclass(frozen=True, slots=True)
class Concat:
    """Several readers' samples, one after the other (a set of parts that differ in shape)."""

    parts: tuple[Reader, ...]

    def __call__(self, folder: Path, splits: tuple[str, ...]) -> list[Sample]:
        return [sample for part in self.parts for sample in part(folder, splits)]
