"""Finding the datasets folder and loading a named set or a generic file,
optionally cut to a seeded, label-balanced ``limit``."""

from __future__ import annotations

import csv
import os
import random
from collections.abc import Mapping, Sequence
from pathlib import Path

from .generic import load_generic
from .samples import DatasetError, DatasetInfo, Sample
from .table import NamedSet, named_sets

ENV_VAR = "SLUICEGATE_DATASETS"
GENERIC_SUFFIXES = (".jsonl", ".json", ".csv", ".tsv")


def datasets_root(explicit: Path | None = None) -> Path:
    """Where the named sets live: ``explicit``, else ``$SLUICEGATE_DATASETS``,
    else the first of ./shared/datasets and ../shared/datasets that exists."""
    env = os.environ.get(ENV_VAR)
    if explicit is not None or env:
        path = Path(explicit) if explicit is not None else Path(str(env))
        if not path.is_dir():
            what = "datasets folder" if explicit is not None else f"${ENV_VAR}"
            raise DatasetError(f"{what} {path} is not a directory")
        return path
    candidates = [Path("shared/datasets"), Path("../shared/datasets")]
    for path in candidates:
        if path.is_dir():
            return path.resolve()
    looked = ", ".join(str(p.resolve()) for p in candidates)
    raise DatasetError(
        f"no datasets folder: the named sets live in shared/datasets (looked in {looked}); "
        f"pass the folder explicitly (--data-dir) or set ${ENV_VAR}"
    )


def dataset_names() -> list[str]:
    """The names :func:`load_dataset` knows, sorted."""
    return sorted(named_sets())


def dataset_info(name: str) -> DatasetInfo:
    """What a named set measures, its licence, languages and splits (no file is read)."""
    return _named(name).info


def load_dataset(
    name_or_path: str,
    *,
    root: Path | None = None,
    split: str | None = None,
    limit: int | None = None,
) -> tuple[DatasetInfo, list[Sample]]:
    """A named set (see :func:`dataset_names`) or a generic JSONL/CSV file.

    ``split`` picks one of a set's splits (``None``: all of them); a set or
    file without splits is used whole whatever ``split`` says, so one split
    can be asked of several sets at once. ``limit`` keeps at most that many
    samples: a seeded (``random.Random(0)``) sample per label, as balanced
    as the labels allow, in the set's original order."""
    if limit is not None and limit < 0:
        raise DatasetError(f"limit must be 0 or more, not {limit}")
    sets = named_sets()
    named = sets.get(name_or_path)
    if named is not None:
        info = named.info
        samples = _load_named(named, datasets_root(root), split)
    elif _looks_like_path(name_or_path):
        info, samples = load_generic(Path(name_or_path))
    else:
        raise DatasetError(_unknown(name_or_path, sets))
    if limit is not None:
        samples = _balanced_subset(samples, limit)
    return info, samples


def _balanced_subset(samples: Sequence[Sample], limit: int) -> list[Sample]:
    """At most ``limit`` samples, split as evenly as possible across labels
    (``unsafe``, or ``refusal`` where a sample has no ``unsafe``), drawn with
    ``random.Random(0)`` per label and returned in their original order."""
    if limit >= len(samples):
        return list(samples)
    groups: dict[bool | None, list[int]] = {}
    for index, sample in enumerate(samples):
        key = sample.unsafe if sample.unsafe is not None else sample.refusal
        groups.setdefault(key, []).append(index)
    rng = random.Random(0)
    chosen: list[int] = []
    quotas = _quotas([len(g) for g in groups.values()], limit)
    for indexes, quota in zip(groups.values(), quotas, strict=True):
        chosen += rng.sample(indexes, quota)
    return [samples[i] for i in sorted(chosen)]


def _named(name: str) -> NamedSet:
    sets = named_sets()
    if name not in sets:
        raise DatasetError(_unknown(name, sets))
    return sets[name]


def _unknown(name: str, sets: Mapping[str, NamedSet]) -> str:
    return (
        f"unknown dataset {name!r} (not a known name, and not a .jsonl/.json/.csv/.tsv file); "
        f"known: {', '.join(sorted(sets))}"
    )


def _looks_like_path(name: str) -> bool:
    return name.lower().endswith(GENERIC_SUFFIXES) or Path(name).is_file()


def _load_named(named: NamedSet, root: Path, split: str | None) -> list[Sample]:
    info = named.info
    if split is not None and info.splits and split not in info.splits:
        raise DatasetError(
            f"dataset {info.name} has no split {split!r}; its splits: {', '.join(info.splits)}"
        )
    # the readers get the splits to read: the one asked, else all (none for a set without)
    splits = (split,) if split is not None and info.splits else info.splits
    folder = root / named.folder
    where = f"the {info.name} set lives in shared/datasets/{named.folder} (see its PROVENANCE.md)"
    if not folder.is_dir():
        raise DatasetError(f"{folder} not found: {where}")
    try:
        samples = named.read(folder, splits)
    except FileNotFoundError as exc:
        raise DatasetError(f"{exc.filename} not found: {where}") from exc
    except (KeyError, IndexError, TypeError, ValueError, csv.Error) as exc:
        raise DatasetError(
            f"dataset {info.name}: unexpected content under {folder} ({type(exc).__name__}: "
            f"{exc}); compare the files with its PROVENANCE.md"
        ) from exc
    if not samples:
        raise DatasetError(f"dataset {info.name}: no samples under {folder}")
    return samples


def _quotas(sizes: Sequence[int], limit: int) -> list[int]:
    """Split ``limit`` across groups as evenly as their sizes allow; leftovers
    go to the earliest groups with room."""
    quotas = [0] * len(sizes)
    remaining = limit
    while remaining > 0:
        open_groups = [i for i, size in enumerate(sizes) if quotas[i] < size]
        if not open_groups:
            break
        share = remaining // len(open_groups)
        if share == 0:
            for i in open_groups[:remaining]:
                quotas[i] += 1
            break
        for i in open_groups:
            take = min(share, sizes[i] - quotas[i])
            quotas[i] += take
            remaining -= take
    return quotas
