"""What every reader returns (:class:`Sample`) and what a set says about itself
(:class:`DatasetInfo`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ....guards.errors import SluicegateError

Task = Literal[
    "harmful", "benign", "injection", "jailbreak", "toxicity", "refusal", "output_harm", "mixed"
]
StageName = Literal["input", "output"]


class DatasetError(SluicegateError):
    """A dataset cannot be found or read; the message names the set or file (and line)."""


@dataclass(frozen=True, slots=True)
class Sample:
    text: str
    #: None only where the set labels just refusal
    unsafe: bool | None
    #: the set's own category, normalised to lower_snake
    category: str | None = None
    #: ISO 639-1 code; None where the set has no per-row language
    language: str | None = None
    stage: StageName = "input"
    #: output sets that label refusals
    refusal: bool | None = None
    #: output samples: the prompt that produced the response
    prompt: str | None = None
    #: "<dataset>" or "<dataset>/<subset>"
    source: str = ""


@dataclass(frozen=True, slots=True)
class DatasetInfo:
    name: str
    #: one line: what it measures
    description: str
    #: as PROVENANCE.md states it
    licence: str
    #: False for non-commercial, research-only or unknown licences: evaluate, never train
    redistributable: bool
    task: Task
    stage: StageName
    languages: tuple[str, ...]
    splits: tuple[str, ...] = ()
