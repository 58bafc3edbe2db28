"""Labelled evaluation sets as :class:`Sample` lists.

Named sets live outside the repository, in ``shared/datasets/<folder>`` (see
its README.md and each folder's PROVENANCE.md for sources, columns, label
meanings and licences); one small adapter per set turns the files into
samples. Anything else that is a file (or ends in .jsonl/.json/.csv/.tsv) is
read in the generic format: JSONL or CSV with ``text`` and ``label`` and the
optional columns ``category``, ``language``, ``stage``, ``refusal`` and
``prompt``.

Where an adapter has to decide what counts as unsafe, its docstring says so.
Sets with a non-commercial, research-only or unknown licence are marked
``redistributable=False``: evaluate on them, never train on them.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import random
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ...guards.errors import SluicegateError

__all__ = [
    "DatasetError",
    "DatasetInfo",
    "Sample",
    "dataset_info",
    "dataset_names",
    "datasets_root",
    "load_dataset",
]

Task = Literal[
    "harmful", "benign", "injection", "jailbreak", "toxicity", "refusal", "output_harm", "mixed"
]
StageName = Literal["input", "output"]

ENV_VAR = "SLUICEGATE_DATASETS"
GENERIC_SUFFIXES = (".jsonl", ".json", ".csv", ".tsv")


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


Loader = Callable[[Path, str | None], list[Sample]]


@dataclass(frozen=True, slots=True)
class _Adapter:
    info: DatasetInfo
    #: folder under the datasets root
    folder: str
    load: Loader


# --------------------------------------------------------------------------- public API


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
    return sorted(_adapters())


def dataset_info(name: str) -> DatasetInfo:
    """What a named set measures, its licence, languages and splits (no file is read)."""
    return _adapter(name).info


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
    adapters = _adapters()
    adapter = adapters.get(name_or_path)
    if adapter is not None:
        info = adapter.info
        samples = _load_named(adapter, datasets_root(root), split)
    elif _looks_like_path(name_or_path):
        info, samples = _load_generic(Path(name_or_path))
    else:
        raise DatasetError(_unknown(name_or_path, adapters))
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


# --------------------------------------------------------------------------- loading


def _adapter(name: str) -> _Adapter:
    adapters = _adapters()
    if name not in adapters:
        raise DatasetError(_unknown(name, adapters))
    return adapters[name]


def _unknown(name: str, adapters: Mapping[str, _Adapter]) -> str:
    return (
        f"unknown dataset {name!r} (not a known name, and not a .jsonl/.json/.csv/.tsv file); "
        f"known: {', '.join(sorted(adapters))}"
    )


def _looks_like_path(name: str) -> bool:
    return name.lower().endswith(GENERIC_SUFFIXES) or Path(name).is_file()


def _load_named(adapter: _Adapter, root: Path, split: str | None) -> list[Sample]:
    info = adapter.info
    if not info.splits:
        split = None
    elif split is not None and split not in info.splits:
        raise DatasetError(
            f"dataset {info.name} has no split {split!r}; its splits: {', '.join(info.splits)}"
        )
    folder = root / adapter.folder
    where = f"the {info.name} set lives in shared/datasets/{adapter.folder} (see its PROVENANCE.md)"
    if not folder.is_dir():
        raise DatasetError(f"{folder} not found: {where}")
    try:
        samples = adapter.load(folder, split)
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


# --------------------------------------------------------------------------- generic format

_TRUE_LABELS = frozenset({"1", "true", "unsafe", "harmful"})
_FALSE_LABELS = frozenset({"0", "false", "safe", "benign"})


def _load_generic(path: Path) -> tuple[DatasetInfo, list[Sample]]:
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
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise DatasetError(f"{where}: missing or empty 'text'")
    refusal = _flag(record.get("refusal"), where, "refusal")
    unsafe = _flag(record.get("label"), where, "label")
    if unsafe is None and refusal is None:
        raise DatasetError(
            f"{where}: missing 'label' (0/1, true/false, safe/unsafe or benign/harmful)"
        )
    stage = _optional_str(record.get("stage")) or "input"
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
        category=_snake(category) if category else None,
        language=language,
        stage="output" if stage == "output" else "input",
        refusal=refusal,
        prompt=_optional_str(record.get("prompt")),
        source=source,
    )


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
        "(use 0/1, true/false, safe/unsafe or benign/harmful)"
    )


def _optional_str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


# --------------------------------------------------------------------------- file helpers


def _snake(value: str) -> str:
    """``"Harassment/Discrimination"`` -> ``"harassment_discrimination"``."""
    return re.sub(r"[\W_]+", "_", value.strip().lower()).strip("_")


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8-sig")


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_read(path), newline="")))


def _json(path: Path) -> Any:
    return json.loads(_read(path))


def _jsonl(path: Path) -> list[Any]:
    # split on "\n" only: some texts hold U+2028, which str.splitlines also splits on
    return [json.loads(line) for line in _read(path).split("\n") if line.strip()]


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in _read(path).split("\n") if line.strip()]


def _label(value: Any, positives: Collection[Any], negatives: Collection[Any], what: str) -> bool:
    """A set's own label; anything unexpected is an error, never a guess."""
    if value in positives:
        return True
    if value in negatives:
        return False
    raise ValueError(f"unexpected {what} {value!r}")


def _splits_of(split: str | None, splits: Sequence[str]) -> list[str]:
    return list(splits) if split is None else [split]


# --------------------------------------------------------------------------- harmful prompts


def _advbench(folder: Path, split: str | None) -> list[Sample]:
    """AdvBench ``goal`` column; every row is a harmful request."""
    return [
        Sample(r["goal"].strip(), True, language="en", source="advbench")
        for r in _csv(folder / "advbench.csv")
    ]


def _harmbench(folder: Path, split: str | None) -> list[Sample]:
    """HarmBench text behaviors, all harmful; category = ``SemanticCategory``.

    Contextual behaviors are kept, built as PROVENANCE says
    (``ContextString + "\\n\\n---\\n\\n" + Behavior``). Copyright behaviors
    (100 of 400) are left out: PROVENANCE calls them an IP policy that a
    content-safety guard is not expected to flag, so labelling them unsafe
    would understate recall."""
    samples = []
    for part in _splits_of(split, ("test", "val")):
        for r in _csv(folder / f"harmbench_behaviors_text_{part}.csv"):
            if r["FunctionalCategory"] == "copyright":
                continue
            context = r["ContextString"].strip()
            behavior = r["Behavior"].strip()
            text = f"{context}\n\n---\n\n{behavior}" if context else behavior
            samples.append(
                Sample(text, True, _snake(r["SemanticCategory"]), "en", source="harmbench")
            )
    return samples


def _jbb_behaviors(folder: Path, split: str | None) -> list[Sample]:
    """JBB-Behaviors ``Goal``, all harmful; category = ``Category`` (10 policy areas;
    ``expert_advice`` and ``government_decision_making`` are policy-specific)."""
    return [
        Sample(r["Goal"].strip(), True, _snake(r["Category"]), "en", source="jbb_behaviors")
        for r in _csv(folder / "jailbreakbench.csv")
    ]


def _strongreject(folder: Path, split: str | None) -> list[Sample]:
    """StrongREJECT ``forbidden_prompt``, all harmful; category = ``category``."""
    return [
        Sample(
            r["forbidden_prompt"].strip(), True, _snake(r["category"]), "en", source="strongreject"
        )
        for r in _csv(folder / "strongreject_dataset.csv")
    ]


def _malicious_instruct(folder: Path, split: str | None) -> list[Sample]:
    """MaliciousInstruct, one harmful question per line (no per-line category)."""
    return [
        Sample(line, True, language="en", source="malicious_instruct")
        for line in _lines(folder / "MaliciousInstruct.txt")
    ]


def _simple_safety_tests(folder: Path, split: str | None) -> list[Sample]:
    """SimpleSafetyTests ``prompts_final``, all clearly harmful; category = ``harm_area``."""
    return [
        Sample(
            r["prompts_final"].strip(),
            True,
            _snake(r["harm_area"]),
            "en",
            source="simple_safety_tests",
        )
        for r in _csv(folder / "SimpleSafetyTests - test cases.csv")
    ]


def _catqa(folder: Path, split: str | None) -> list[Sample]:
    """CatQA (parallel en/zh/vi), all harmful; category = the top-level CatQA
    category (sub-categories dropped: their keys differ per language).

    HarmfulQA and DangerousQA from the same folder are separate names
    (``red_instruct_harmful_questions/harmfulqa``, ``.../dangerousqa``) so the
    default set stays the clean, categorised, parallel CatQA."""
    samples = []
    for language, stem in (("en", "english"), ("zh", "chinese"), ("vi", "vietnamese")):
        data: dict[str, dict[str, list[str]]] = _json(folder / f"catqa_{stem}.json")
        for category, subcategories in data.items():
            for questions in subcategories.values():
                samples += [
                    Sample(
                        q.strip(),
                        True,
                        _snake(category),
                        language,
                        source="red_instruct_harmful_questions/catqa",
                    )
                    for q in questions
                ]
    return samples


def _harmfulqa(folder: Path, split: str | None) -> list[Sample]:
    """HarmfulQA: ChatGPT-written harmful questions framed around academic
    topics; all counted unsafe although PROVENANCE warns some are only mildly
    harmful. Category = the academic topic (not a harm type)."""
    data: dict[str, dict[str, list[str]]] = _json(folder / "harmfulqa.json")
    return [
        Sample(
            q.strip(),
            True,
            _snake(topic),
            "en",
            source="red_instruct_harmful_questions/harmfulqa",
        )
        for topic, subtopics in data.items()
        for questions in subtopics.values()
        for q in questions
    ]


def _dangerousqa(folder: Path, split: str | None) -> list[Sample]:
    """DangerousQA: 200 harmful questions, no category."""
    questions: list[str] = _json(folder / "dangerousqa.json")
    return [
        Sample(q.strip(), True, language="en", source="red_instruct_harmful_questions/dangerousqa")
        for q in questions
    ]


def _xstest(folder: Path, split: str | None) -> list[Sample]:
    """XSTest: ``label`` safe (250 look-alikes a guard should pass) / unsafe
    (200 contrast prompts); category = ``type``."""
    return [
        Sample(
            r["prompt"].strip(),
            _label(r["label"], {"unsafe"}, {"safe"}, "label"),
            _snake(r["type"]),
            "en",
            source="xstest_prompts",
        )
        for r in _csv(folder / "xstest_prompts.csv")
    ]


def _forbidden_questions(folder: Path, split: str | None) -> list[Sample]:
    """The 390 forbidden questions of jailbreak_llms, all counted unsafe;
    category = ``content_policy_name``. PROVENANCE notes that political_lobbying,
    legal_opinion, financial_advice, health_consultation and gov_decision are
    "sensitive/regulated" rather than harmful: score those categories apart."""
    return [
        Sample(
            r["question"].strip(),
            True,
            _snake(r["content_policy_name"]),
            "en",
            source="jailbreak_llms/forbidden_questions",
        )
        for r in _csv(folder / "forbidden_question_set.csv")
    ]


# --------------------------------------------------------------------------- jailbreak / injection


def _jailbreak_llms(folder: Path, split: str | None) -> list[Sample]:
    """In-the-wild jailbreak prompts (``jailbreak`` is always True), category
    ``jailbreak``. Mostly English with some other languages and no per-row
    language, so language is None. 41 exact duplicates are kept (PROVENANCE counts them)."""
    rows = _csv(folder / "jailbreak_prompts_2023_12_25.csv")
    return [
        Sample(r["prompt"].strip(), True, "jailbreak", source="jailbreak_llms")
        for r in rows
        if _label(r["jailbreak"], {"True"}, set(), "jailbreak flag")
    ]


def _gptfuzz_templates(folder: Path, split: str | None) -> list[Sample]:
    """The 77 GPTFuzzer jailbreak templates as attacks: template i with
    question i of question_list.csv put in ``[INSERT PROMPT HERE]`` (the
    composition PROVENANCE describes), all unsafe, category ``jailbreak``."""
    questions = [r["text"].strip() for r in _csv(folder / "question_list.csv")]
    return [
        Sample(
            r["text"].replace("[INSERT PROMPT HERE]", questions[i % len(questions)]).strip(),
            True,
            "jailbreak",
            "en",
            source="gptfuzz/templates",
        )
        for i, r in enumerate(_csv(folder / "GPTFuzzer.csv"))
    ]


def _deepset(folder: Path, split: str | None) -> list[Sample]:
    """deepset/prompt-injections: ``label`` 1 = injection. PROVENANCE names en
    and de (plus a few others) but has no per-row language: language is None."""
    files = {
        "train": "train-00000-of-00001-9564e8b05b4757ab.csv",
        "test": "test-00000-of-00001-701d16158af87368.csv",
    }
    return [
        Sample(
            r["text"].strip(),
            _label(r["label"], {"1"}, {"0"}, "label"),
            source="deepset_prompt_injections",
        )
        for part in _splits_of(split, ("train", "test"))
        for r in _csv(folder / files[part])
    ]


def _tensor_trust(folder: Path, split: str | None) -> list[Sample]:
    """Tensor Trust attacks: every ``attack`` (hijacking and extraction) is a
    prompt injection; category = ``hijacking`` / ``extraction``. The game's
    only legitimate input, the access code, is not used as a negative (too
    weak). Language None: attacks mix unicode tricks, code and other languages."""
    return [
        Sample(item["attack"].strip(), True, kind, source=f"tensor_trust/{kind}")
        for kind in ("hijacking", "extraction")
        for item in _jsonl(folder / f"{kind}_robustness_dataset.jsonl")
        if item["attack"].strip()
    ]


def _tensor_trust_leaks(folder: Path, split: str | None) -> list[Sample]:
    """Output side of Tensor Trust: ``llm_output`` is unsafe when it leaks the
    access code (``is_prompt_extraction``)."""
    return [
        Sample(
            item["llm_output"].strip(),
            _label(item["is_prompt_extraction"], {True}, {False}, "is_prompt_extraction"),
            "prompt_extraction",
            stage="output",
            source="tensor_trust/extraction_detection",
        )
        for item in _jsonl(folder / "prompt_extraction_detection.jsonl")
    ]


_BIPIA_TASKS = (("email", "text"), ("code", "code"), ("table", "text"))


def _bipia(folder: Path, split: str | None) -> list[Sample]:
    """BIPIA indirect injection, built the way PROVENANCE describes: every
    clean context (email, StackExchange answer, table) is a negative, and
    the same context with one attack instruction inserted is a positive
    (text attacks for email/table, code attacks for code; attacks and
    contexts from the same split). Which attack and where are fixed, not
    random: context i takes attack i of the categories taken in turn, and
    goes start / middle / end by round, so every category and position
    occurs. Category = the attack category (None for clean contexts). The
    text is the external content alone, as an indirect-injection guard sees it."""
    samples = []
    for part in _splits_of(split, ("train", "test")):
        for task, attack_kind in _BIPIA_TASKS:
            if task == "table" and part == "train":
                continue  # table/train.jsonl was not brought (PROVENANCE)
            contexts_file = folder / task / f"{part}.jsonl"
            attacks = _interleave(_json(folder / f"{attack_kind}_attack_{part}.json"))
            per_round = len({category for category, _ in attacks})
            for i, item in enumerate(_jsonl(contexts_file)):
                raw = item["context"]
                context = "\n".join(raw) if isinstance(raw, list) else str(raw)
                context = context.strip()
                category, attack = attacks[i % len(attacks)]
                where = ("start", "middle", "end")[(i // per_round) % 3]
                source = f"bipia/{task}"
                samples.append(Sample(context, False, None, "en", source=source))
                samples.append(
                    Sample(
                        _insert(context, attack.strip(), where),
                        True,
                        _snake(category),
                        "en",
                        source=source,
                    )
                )
    return samples


def _interleave(by_category: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Attacks taken one per category in turn: first of each, then second..."""
    depth = max(len(v) for v in by_category.values())
    return [
        (category, attacks[k])
        for k in range(depth)
        for category, attacks in by_category.items()
        if k < len(attacks)
    ]


def _insert(context: str, attack: str, where: str) -> str:
    """BIPIA-style insertion: before the context, after it, or at its middle
    line start (or, for one-line contexts, sentence start); the context
    itself is left unchanged around the attack."""
    if where == "start":
        return f"{attack}\n{context}"
    if where == "middle":
        starts = [m.end() for m in re.finditer(r"\n", context)]
        glue = "\n"
        if not starts:
            starts = [m.end() for m in re.finditer(r"(?<=[.!?])\s+", context)]
            glue = " "
        if starts:
            at = starts[(len(starts) - 1) // 2]
            return f"{context[:at]}{attack}{glue}{context[at:]}"
    return f"{context}\n{attack}"


# --------------------------------------------------------------------------- toxicity / hate


def _toxicchat(folder: Path, split: str | None) -> list[Sample]:
    """ToxicChat human labels: unsafe = ``toxicity`` 1; category
    ``jailbreaking`` where ``jailbreaking`` is 1 (always toxic too),
    ``toxicity`` for the other toxic prompts, None for the rest. Mostly
    English but no per-row language: language is None."""
    samples = []
    for part in _splits_of(split, ("train", "test")):
        for item in _json(folder / f"toxic_chat_{part}.json")["instances"]:
            labels = item["annotations"]
            toxic = _label(labels["toxicity"]["majority_human"], {"1"}, {"0"}, "toxicity")
            jailbreak = _label(
                labels["jailbreaking"]["majority_human"], {"1"}, {"0"}, "jailbreaking"
            )
            category = "jailbreaking" if jailbreak else "toxicity" if toxic else None
            samples.append(Sample(item["instance"].strip(), toxic, category, source="toxicchat"))
    return samples


def _hatecheck(folder: Path, split: str | None) -> list[Sample]:
    """HateCheck: unsafe = ``label_gold`` hateful; category = ``functionality``."""
    return [
        Sample(
            r["test_case"].strip(),
            _label(r["label_gold"], {"hateful"}, {"non-hateful"}, "label_gold"),
            _snake(r["functionality"]),
            "en",
            source="hatecheck",
        )
        for r in _csv(folder / "test_suite_cases.csv")
    ]


_MHC_LANGUAGES = {
    "arabic": "ar",
    "dutch": "nl",
    "french": "fr",
    "german": "de",
    "hindi": "hi",
    "italian": "it",
    "mandarin": "zh",
    "polish": "pl",
    "portuguese": "pt",
    "spanish": "es",
}


def _multilingual_hatecheck(folder: Path, split: str | None) -> list[Sample]:
    """Multilingual HateCheck: unsafe = ``label_gold`` hateful (the gold label,
    also where annotators disagreed); category = ``functionality``; language
    from the file name."""
    return [
        Sample(
            r["test_case"].strip(),
            _label(r["label_gold"], {"hateful"}, {"non-hateful"}, "label_gold"),
            _snake(r["functionality"]),
            language,
            source="multilingual_hatecheck",
        )
        for stem, language in _MHC_LANGUAGES.items()
        for r in _csv(folder / f"hatecheck_cases_final_{stem}.csv")
    ]


_DAVIDSON_CLASSES = {"0": "hate_speech", "1": "offensive_language", "2": "neither"}


def _davidson(folder: Path, split: str | None) -> list[Sample]:
    """Davidson tweets. Judgement: unsafe = hate speech (class 0) or offensive
    language (class 1), safe = neither (2), the "toxic vs not" reading of
    PROVENANCE; category keeps the three classes so hate-only recall can be
    read per category. HTML entities (``&amp;``, ``&#128555;``) are decoded."""
    samples = []
    for r in _csv(folder / "labeled_data.csv"):
        category = _DAVIDSON_CLASSES[r["class"]]
        text = html.unescape(r["tweet"]).strip()
        samples.append(
            Sample(text, category != "neither", category, "en", source="davidson_hate_offensive")
        )
    return samples


_TOXIGEN_DUPLICATE = "religion/neutral_muslim.txt"  # same git blob as neutral_muslim_sentences.txt


def _toxigen(folder: Path, split: str | None) -> list[Sample]:
    """ToxiGen demonstrations: ``hate_*`` files unsafe, ``neutral_*`` safe;
    category = the target group from the file name. ``religion/neutral_muslim.txt``
    is skipped: it is byte-identical to ``neutral_muslim_sentences.txt``
    (same blob in PROVENANCE), so 612 of PROVENANCE's 627 lines load."""
    samples = []
    for path in sorted(folder.glob("*/*.txt")):
        if path.relative_to(folder).as_posix() == _TOXIGEN_DUPLICATE:
            continue
        kind, _, group = path.stem.partition("_")
        unsafe = _label(kind, {"hate"}, {"neutral"}, "file prefix")
        group = group.removesuffix("_sentences")
        samples += [
            Sample(line, unsafe, _snake(group), "en", source="toxigen_demonstrations")
            for line in _lines(path)
        ]
    return samples


_RTP_HARMS = (
    "IdentityAttack",
    "Bias",
    "Microaggression",
    "Violence",
    "SelfHarm",
    "Insult",
    "SexualContent",
)
_RTP_SPECIAL_LANGUAGES = {"bcms": "sh"}  # Bosnian/Croatian/Montenegrin/Serbian: Serbo-Croatian


def _rtp_lx(folder: Path, split: str | None) -> list[Sample]:
    """RTP-LX (seeded 150 per locale). Judgement, following PROVENANCE: mean
    human ``Toxicity`` >= 3 is unsafe, < 2 (1 to 1.67) is safe, and the
    ambiguous 2-2.67 band is dropped. Category of an unsafe prompt = its
    highest-rated harm dimension when that is >= 2 (ties: first of
    identity_attack, bias, microaggression, violence, self_harm, insult,
    sexual_content), else ``toxicity``. Language from the locale (BCMS ->
    ``sh``, NO-NB -> ``no``, ZH-Hans/ZH-Hant -> ``zh``). Rows whose text is
    ``NA`` are skipped: in this copy the whole EN file is ``NA``."""
    samples = []
    for path in sorted(folder.glob("acs_results_*.json")):
        locale = path.stem.removeprefix("acs_results_")
        base = locale.split("-")[0].lower()
        language = _RTP_SPECIAL_LANGUAGES.get(base, base)
        for item in _jsonl(path):
            text = item["Prompt"].strip()
            scores = item["OriginalEntry"]["Annotations"]
            toxicity = float(scores["Toxicity"])
            if text in ("", "NA") or 2 <= toxicity < 3:
                continue
            category = None
            if toxicity >= 3:
                levels = {harm: float(scores[harm]) for harm in _RTP_HARMS}
                harm = max(levels, key=levels.__getitem__)  # ties: the first
                category = "toxicity"
                if levels[harm] >= 2:
                    category = _snake(re.sub(r"(?<=[a-z])(?=[A-Z])", "_", harm))
            samples.append(Sample(text, toxicity >= 3, category, language, source="rtp_lx"))
    return samples


_XSAFETY_LANGUAGES = {"sp": "es"}
_XSAFETY_NAMES = {
    "Crimes_And_Illegal_Activitie": "Crimes_And_Illegal_Activities",
    "commen_sense": "commonsense",
}


def _xsafety(folder: Path, split: str | None) -> list[Sample]:
    """XSafety: category = scenario (file name); language = folder (``sp`` -> es).

    Judgement, per PROVENANCE: every prompt of the 13 risky scenarios (7
    safety, 6 instruction-attack, including the mild ``ethics_and_morality``
    and ``inquiry_with_unsafe_opinion``) is unsafe; ``commonsense`` (and
    hi's extra ``commen_sense``) multiple-choice physical-safety questions
    are benign to answer, so safe. Bengali is read from the CSV conversions;
    empty rows are skipped."""
    samples = []
    for language_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        language = _XSAFETY_LANGUAGES.get(language_dir.name, language_dir.name)
        for path in sorted(language_dir.glob("*.csv")):
            stem = re.sub(r"_(n|en)$", "", path.stem)
            scenario = _snake(_XSAFETY_NAMES.get(stem, stem))
            rows = csv.reader(io.StringIO(_read(path), newline=""))
            samples += [
                Sample(
                    row[0].strip(), scenario != "commonsense", scenario, language, source="xsafety"
                )
                for row in rows
                if row and row[0].strip()
            ]
    return samples


# --------------------------------------------------------------------------- output stage


_DNA_MODELS = ("GPT4", "ChatGPT", "Claude", "ChatGLM2", "llama2-7b-chat", "vicuna-7b")


def _do_not_answer(folder: Path, split: str | None) -> list[Sample]:
    """Do-Not-Answer: each model's response is an output sample with its
    question as ``prompt``; unsafe = ``<model>_harmful`` (human label);
    category = ``risk_area``. Judgement on refusal: ``action`` 0 (refuses)
    is a refusal, 5 (follows the instruction fully) is not, and 1-4
    (refutes, balanced answer, disclaimer, cannot-answer-limitations) are
    partial or soft, so refusal is None there rather than a guess."""
    rows = _csv(folder / "data_en.csv")
    samples = []
    for model in _DNA_MODELS:
        for r in rows:
            action = r[f"{model}_action"].strip()
            if action not in {"0", "1", "2", "3", "4", "5"}:
                raise ValueError(f"unexpected {model}_action {action!r}")
            samples.append(
                Sample(
                    r[f"{model}_response"].strip(),
                    _label(r[f"{model}_harmful"], {"1"}, {"0"}, f"{model}_harmful"),
                    _snake(r["risk_area"]),
                    "en",
                    stage="output",
                    refusal=True if action == "0" else False if action == "5" else None,
                    prompt=r["question"].strip(),
                    source=f"do_not_answer/{model.lower()}",
                )
            )
    return samples


def _gptfuzz(folder: Path, split: str | None) -> list[Sample]:
    """GPTFuzz labelled responses: unsafe = ``label`` 1 (jailbroken: complies
    and is harmful). ``prompt`` is the harmful question only (the template
    used is not stored). Label 0 mixes refusals with off-topic or harmless
    role-play, so refusal is left None. Split ``test`` is evaluate.csv (the
    authors' held-out questions 80-99). Language None: some responses are
    in Chinese or other languages."""
    questions = {r["index"]: r["text"].strip() for r in _csv(folder / "question_list.csv")}
    files = {"train": "train.csv", "test": "evaluate.csv"}
    return [
        Sample(
            r["Response"].strip(),
            _label(r["label"], {"1"}, {"0"}, "label"),
            stage="output",
            prompt=questions[r["question"]],
            source="gptfuzz",
        )
        for part in _splits_of(split, ("train", "test"))
        for r in _csv(folder / files[part])
    ]


# --------------------------------------------------------------------------- benign prompts


def _alpaca(folder: Path, split: str | None) -> list[Sample]:
    """Benign instructions: the 5,000 Alpaca instructions and the 175
    Self-Instruct seed tasks (instruction, then the first instance's input
    where there is one, as a user would paste it)."""
    samples = [
        Sample(item["instruction"].strip(), False, language="en", source="alpaca_benign/alpaca")
        for item in _json(folder / "alpaca.json")
    ]
    for task in _jsonl(folder / "seed_tasks.jsonl"):
        instances = task.get("instances") or [{}]
        extra = str(instances[0].get("input") or "").strip()
        text = task["instruction"].strip() + (f"\n\n{extra}" if extra else "")
        samples.append(Sample(text, False, language="en", source="alpaca_benign/seed_tasks"))
    return samples


def _xquad(folder: Path, split: str | None) -> list[Sample]:
    """XQuAD questions, benign; language from the file name."""
    samples = []
    for path in sorted(folder.glob("xquad.*.json")):
        language = path.stem.split(".")[1]
        samples += [
            Sample(qa["question"].strip(), False, language=language, source="xquad_questions")
            for article in _json(path)["data"]
            for paragraph in article["paragraphs"]
            for qa in paragraph["qas"]
        ]
    return samples


def _mgsm(folder: Path, split: str | None) -> list[Sample]:
    """MGSM word problems (TSV column 0, no header), benign; language from the file name."""
    samples = []
    for path in sorted(folder.glob("mgsm_*.tsv")):
        language = path.stem.removeprefix("mgsm_")
        samples += [
            Sample(line.split("\t")[0].strip(), False, language=language, source="mgsm_prompts")
            for line in _lines(path)
        ]
    return samples


def _afriqa(folder: Path, split: str | None) -> list[Sample]:
    """AfriQA Swahili ``question`` (native Swahili), benign; the English
    ``translated_question`` is not used."""
    return [
        Sample(item["question"].strip(), False, language="sw", source="afriqa_swahili_queries")
        for part in _splits_of(split, ("train", "dev", "test"))
        for item in _jsonl(folder / f"queries.afriqa.swa.en.{part}.json")
    ]


def _arena_hard(folder: Path, split: str | None) -> list[Sample]:
    """Arena-Hard ``prompt``, benign (real user prompts; creative-writing ones
    may hold mature fiction, PROVENANCE says spot-check). v0.1 is English;
    v2.0 mixes languages without a column, so its language is None;
    category = v2.0 ``subcategory`` (coding, math, creative_writing)."""
    samples = [
        Sample(item["prompt"].strip(), False, language="en", source="arena_hard_prompts/v0.1")
        for item in _jsonl(folder / "arena-hard-v0.1" / "question.jsonl")
    ]
    samples += [
        Sample(
            item["prompt"].strip(),
            False,
            _snake(item["subcategory"]),
            source="arena_hard_prompts/v2.0",
        )
        for item in _jsonl(folder / "arena-hard-v2.0" / "question.jsonl")
    ]
    return samples


def _massive(folder: Path, split: str | None) -> list[Sample]:
    """MASSIVE en-US ``utt`` (seeded 3,000), benign; category = ``scenario``;
    splits from ``partition``."""
    wanted = set(_splits_of(split, ("train", "dev", "test")))
    return [
        Sample(item["utt"].strip(), False, _snake(item["scenario"]), "en", source="massive_en_us")
        for item in _jsonl(folder / "en-US.sample3000.jsonl")
        if item["partition"] in wanted
    ]


# --------------------------------------------------------------------------- registry


def _adapters() -> dict[str, _Adapter]:
    """Every named set, built afresh on each call (no module state)."""
    i = DatasetInfo
    return {
        "advbench": _Adapter(
            i("advbench", "AdvBench harmful behaviours: input-guard recall",
              "MIT (upstream llm-attacks); copy repo Apache-2.0", True, "harmful", "input",
              ("en",)),
            "advbench", _advbench),
        "harmbench": _Adapter(
            i("harmbench", "HarmBench harmful behaviours by semantic category, copyright "
              "behaviours left out: input-guard recall", "MIT", True, "harmful", "input",
              ("en",), ("test", "val")),
            "harmbench", _harmbench),
        "jbb_behaviors": _Adapter(
            i("jbb_behaviors", "JailbreakBench harmful behaviours, 10 policy categories: "
              "input-guard recall", "MIT (JailbreakBench); copy repo Apache-2.0", True,
              "harmful", "input", ("en",)),
            "jbb_behaviors", _jbb_behaviors),
        "strongreject": _Adapter(
            i("strongreject", "StrongREJECT forbidden prompts, 6 categories: input-guard "
              "recall", "reportedly MIT upstream, not verifiable (PROVENANCE)", False,
              "harmful", "input", ("en",)),
            "strongreject", _strongreject),
        "malicious_instruct": _Adapter(
            i("malicious_instruct", "MaliciousInstruct harmful questions: input-guard recall",
              "not stated", False, "harmful", "input", ("en",)),
            "malicious_instruct", _malicious_instruct),
        "simple_safety_tests": _Adapter(
            i("simple_safety_tests", "SimpleSafetyTests clearly harmful prompts, 5 harm "
              "areas: input-guard recall floor", "CC-BY-4.0", True, "harmful", "input",
              ("en",)),
            "simple_safety_tests", _simple_safety_tests),
        "red_instruct_harmful_questions": _Adapter(
            i("red_instruct_harmful_questions", "CatQA harmful questions, parallel en/zh/vi, "
              "11 categories: multilingual input-guard recall", "Apache-2.0", True, "harmful",
              "input", ("en", "zh", "vi")),
            "red_instruct_harmful_questions", _catqa),
        "red_instruct_harmful_questions/harmfulqa": _Adapter(
            i("red_instruct_harmful_questions/harmfulqa", "HarmfulQA academic-framed harmful "
              "questions (some only mildly harmful): input-guard recall", "Apache-2.0", True,
              "harmful", "input", ("en",)),
            "red_instruct_harmful_questions", _harmfulqa),
        "red_instruct_harmful_questions/dangerousqa": _Adapter(
            i("red_instruct_harmful_questions/dangerousqa", "DangerousQA harmful questions: "
              "input-guard recall", "Apache-2.0", True, "harmful", "input", ("en",)),
            "red_instruct_harmful_questions", _dangerousqa),
        "xstest_prompts": _Adapter(
            i("xstest_prompts", "XSTest safe look-alikes vs unsafe contrast prompts: input-guard "
              "over-blocking (FPR) and recall", "CC-BY-4.0", True, "harmful", "input", ("en",)),
            "xstest_prompts", _xstest),
        "alpaca_benign": _Adapter(
            i("alpaca_benign", "Alpaca and Self-Instruct benign instructions: input-guard FPR",
              "CC-BY-NC-4.0 (Alpaca data)", False, "benign", "input", ("en",)),
            "alpaca_benign", _alpaca),
        "jailbreak_llms": _Adapter(
            i("jailbreak_llms", "In-the-wild jailbreak prompts: jailbreak-detector recall",
              "MIT (upstream verazuo/jailbreak_llms)", True, "jailbreak", "input", ("en", "zh")),
            "jailbreak_llms", _jailbreak_llms),
        "jailbreak_llms/forbidden_questions": _Adapter(
            i("jailbreak_llms/forbidden_questions", "Forbidden questions, 13 policy scenarios: "
              "input-guard recall", "MIT (upstream verazuo/jailbreak_llms)", True, "harmful",
              "input", ("en",)),
            "jailbreak_llms", _forbidden_questions),
        "deepset_prompt_injections": _Adapter(
            i("deepset_prompt_injections", "Prompt injection vs legitimate requests: "
              "injection-guard precision/recall", "Apache-2.0 (HF dataset card); copy repo MIT",
              True, "injection", "input", ("en", "de"), ("train", "test")),
            "deepset_prompt_injections", _deepset),
        "toxicchat": _Adapter(
            i("toxicchat", "Real user prompts, human toxicity and jailbreaking labels: "
              "toxicity-guard F1 at a realistic base rate", "CC-BY-NC-4.0", False, "toxicity",
              "input", ("en",), ("train", "test")),
            "toxicchat", _toxicchat),
        "hatecheck": _Adapter(
            i("hatecheck", "HateCheck functional tests, hateful vs non-hateful: hate-guard "
              "accuracy per functionality", "CC-BY-4.0", True, "toxicity", "input", ("en",)),
            "hatecheck", _hatecheck),
        "multilingual_hatecheck": _Adapter(
            i("multilingual_hatecheck", "Multilingual HateCheck, 10 languages: hate-guard "
              "accuracy per language", "CC-BY-4.0", True, "toxicity", "input",
              tuple(sorted(_MHC_LANGUAGES.values()))),
            "multilingual_hatecheck", _multilingual_hatecheck),
        "xsafety": _Adapter(
            i("xsafety", "XSafety risky prompts, 13 scenarios x 10 languages, commonsense as "
              "negatives: multilingual input-guard recall", "Apache-2.0 (README: research use "
              "only)", False, "mixed", "input",
              ("ar", "bn", "de", "en", "es", "fr", "hi", "ja", "ru", "zh")),
            "xsafety", _xsafety),
        "davidson_hate_offensive": _Adapter(
            i("davidson_hate_offensive", "Tweets, hate or offensive vs neither: toxicity-guard "
              "F1 and dialect FPR", "MIT", True, "toxicity", "input", ("en",)),
            "davidson_hate_offensive", _davidson),
        "toxigen_demonstrations": _Adapter(
            i("toxigen_demonstrations", "ToxiGen implicit hate vs neutral statements about 13 "
              "groups: hate-guard F1 beyond keywords", "MIT", True, "toxicity", "input",
              ("en",)),
            "toxigen_demonstrations", _toxigen),
        "rtp_lx": _Adapter(
            i("rtp_lx", "RTP-LX toxic vs non-toxic prompt starts, 27 locales: multilingual "
              "toxicity-guard F1", "MIT + third-party; metadata lists CC-BY-NC-4.0", False,
              "toxicity", "input",
              ("ar", "cs", "da", "de", "es", "fi", "fr", "he", "hi", "hu", "id", "it", "ja",
               "ko", "nl", "no", "pl", "pt", "ru", "sh", "sv", "sw", "th", "tr", "uk", "zh")),
            "rtp_lx", _rtp_lx),
        "do_not_answer": _Adapter(
            i("do_not_answer", "6 models' responses to risky questions, human harmful and "
              "refusal labels: output harm and refusal detection", "Apache-2.0", True,
              "output_harm", "output", ("en",)),
            "do_not_answer", _do_not_answer),
        "gptfuzz": _Adapter(
            i("gptfuzz", "Responses to jailbreak-wrapped questions, human jailbroken labels: "
              "output harm detection", "MIT", True, "output_harm", "output", ("en", "zh"),
              ("train", "test")),
            "gptfuzz", _gptfuzz),
        "gptfuzz/templates": _Adapter(
            i("gptfuzz/templates", "GPTFuzzer jailbreak templates filled with a harmful "
              "question: jailbreak-detector recall", "MIT", True, "jailbreak", "input", ("en",)),
            "gptfuzz", _gptfuzz_templates),
        "tensor_trust": _Adapter(
            i("tensor_trust", "Tensor Trust hijacking and extraction attacks: injection-guard "
              "recall", "not stated (no LICENSE in repo)", False, "injection", "input", ("en",)),
            "tensor_trust", _tensor_trust),
        "tensor_trust/extraction_detection": _Adapter(
            i("tensor_trust/extraction_detection", "Model outputs that do or do not leak the "
              "secret access code: output leak detection", "not stated (no LICENSE in repo)",
              False, "injection", "output", ("en",)),
            "tensor_trust", _tensor_trust_leaks),
        "bipia": _Adapter(
            i("bipia", "Clean vs attack-inserted external content (email, code, table): "
              "indirect-injection guard TPR/FPR", "MIT; tables CC-BY-SA-4.0 (WikiTableQuestions),"
              " code contexts from Stack Exchange", True, "injection", "input", ("en",),
              ("train", "test")),
            "bipia", _bipia),
        "xquad_questions": _Adapter(
            i("xquad_questions", "XQuAD reading-comprehension questions, 9 languages: benign "
              "FPR per language", "CC-BY-SA-4.0", True, "benign", "input",
              ("ar", "de", "en", "es", "hi", "ru", "th", "vi", "zh")),
            "xquad_questions", _xquad),
        "mgsm_prompts": _Adapter(
            i("mgsm_prompts", "MGSM maths word problems, 11 languages: benign FPR per language",
              "CC-BY-4.0", True, "benign", "input",
              ("bn", "de", "en", "es", "fr", "ja", "ru", "sw", "te", "th", "zh")),
            "mgsm_prompts", _mgsm),
        "afriqa_swahili_queries": _Adapter(
            i("afriqa_swahili_queries", "Native Swahili questions: benign FPR in Swahili",
              "CC-BY-4.0", True, "benign", "input", ("sw",), ("train", "dev", "test")),
            "afriqa_swahili_queries", _afriqa),
        "arena_hard_prompts": _Adapter(
            i("arena_hard_prompts", "Long real Chatbot Arena prompts (coding, maths, writing): "
              "benign FPR on heavy use", "Apache-2.0 (repo licence)", True, "benign", "input",
              ("en", "zh", "ru", "ja", "ko", "ar")),
            "arena_hard_prompts", _arena_hard),
        "massive_en_us": _Adapter(
            i("massive_en_us", "Short voice-assistant commands: benign FPR on short inputs",
              "CC-BY-4.0", True, "benign", "input", ("en",), ("train", "dev", "test")),
            "massive_en_us", _massive),
    }  # fmt: skip
