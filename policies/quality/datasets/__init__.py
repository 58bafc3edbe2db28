"""Labelled evaluation sets as :class:`Sample` lists.

Named sets live outside the repository, in ``shared/datasets/<folder>`` (see
its README.md and each folder's PROVENANCE.md for sources, columns, label
meanings and licences). :mod:`.table` has one row per set: its folder, a
reader from :mod:`.readers` (one per record shape: CSV/JSON rows with a text
field, lines, JSON question lists) with its parameters, or one from
:mod:`.special` where a set needs its own, and its :class:`DatasetInfo`.
Anything else that is a file (or ends in .jsonl/.json/.csv/.tsv) is read in
the generic format (:mod:`.generic`): JSONL or CSV with ``text`` and
``label`` and the optional columns ``category``, ``language``, ``stage``,
``refusal`` and ``prompt``.

Sets with a non-commercial, research-only or unknown licence are marked
``redistributable=False``: evaluate on them, never train on them.
"""

from __future__ import annotations

from .loading import dataset_info, dataset_names, datasets_root, load_dataset
from .samples import DatasetError, DatasetInfo, Sample, StageName, Task

__all__ = [
    "DatasetError",
    "DatasetInfo",
    "Sample",
    "StageName",
    "Task",
    "dataset_info",
    "dataset_names",
    "datasets_root",
    "load_dataset",
]
