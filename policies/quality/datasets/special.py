"""Readers for the sets whose shape no generic reader covers; each says why
it is special (a built text, a derived label, a judgement on the set's
scores). Called like every reader: ``(folder, splits)``."""

from __future__ import annotations

import re
from pathlib import Path

from .files import label, read_csv, read_csv_rows, read_json, read_jsonl, read_lines, snake
from .samples import Sample


def harmbench(folder: Path, splits: tuple[str, ...]) -> list[Sample]:
    """HarmBench text behaviors, all harmful; category = ``SemanticCategory``.

    Contextual behaviors are kept, built as PROVENANCE says
    (``ContextString + "\\n\\n---\\n\\n" + Behavior``). Copyright behaviors
    (100 of 400) are left out: PROVENANCE calls them an IP policy that a
    content-safety guard is not expected to flag, so labelling them unsafe
    would understate recall."""
    samples = []
    for part in splits:
        for r in read_csv(folder / f"harmbench_behaviors_text_{part}.csv"):
            if r["FunctionalCategory"] == "copyright":
                continue
            context = r["ContextString"].strip()
            behavior = r["Behavior"].strip()
            text = f"{context}\n\n---\n\n{behavior}" if context else behavior
            samples.append(
                Sample(text, True, snake(r["SemanticCategory"]), "en", source="harmbench")
            )
    return samples


def gptfuzz_templates(folder: Path, splits: tuple[str, ...]) -> list[Sample]:
    """The 77 GPTFuzzer jailbreak templates as attacks: template i with
    question i of question_list.csv put in ``[INSERT PROMPT HERE]`` (the
    composition PROVENANCE describes), all unsafe, category ``jailbreak``."""
    questions = [r["text"].strip() for r in read_csv(folder / "question_list.csv")]
    return [
        Sample(
            r["text"].replace("[INSERT PROMPT HERE]", questions[i % len(questions)]).strip(),
            True,
            "jailbreak",
            "en",
            source="gptfuzz/templates",
        )
        for i, r in enumerate(read_csv(folder / "GPTFuzzer.csv"))
    ]


_BIPIA_TASKS = (("email", "text"), ("code", "code"), ("table", "text"))


def bipia(folder: Path, splits: tuple[str, ...]) -> list[Sample]:
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
    for part in splits:
        for task, attack_kind in _BIPIA_TASKS:
            if task == "table" and part == "train":
                continue  # table/train.jsonl was not brought (PROVENANCE)
            contexts_file = folder / task / f"{part}.jsonl"
            attacks = _interleave(read_json(folder / f"{attack_kind}_attack_{part}.json"))
            per_round = len({category for category, _ in attacks})
            for i, item in enumerate(read_jsonl(contexts_file)):
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
                        snake(category),
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


def toxicchat(folder: Path, splits: tuple[str, ...]) -> list[Sample]:
    """ToxicChat human labels: unsafe = ``toxicity`` 1; category
    ``jailbreaking`` where ``jailbreaking`` is 1 (always toxic too),
    ``toxicity`` for the other toxic prompts, None for the rest. Mostly
    English but no per-row language: language is None."""
    samples = []
    for part in splits:
        for item in read_json(folder / f"toxic_chat_{part}.json")["instances"]:
            labels = item["annotations"]
            toxic = label(labels["toxicity"]["majority_human"], {"1"}, {"0"}, "toxicity")
            jailbreak = label(
                labels["jailbreaking"]["majority_human"], {"1"}, {"0"}, "jailbreaking"
            )
            category = "jailbreaking" if jailbreak else "toxicity" if toxic else None
            samples.append(Sample(item["instance"].strip(), toxic, category, source="toxicchat"))
    return samples


_TOXIGEN_DUPLICATE = "religion/neutral_muslim.txt"  # same git blob as neutral_muslim_sentences.txt


def toxigen(folder: Path, splits: tuple[str, ...]) -> list[Sample]:
    """ToxiGen demonstrations: ``hate_*`` files unsafe, ``neutral_*`` safe;
    category = the target group from the file name. ``religion/neutral_muslim.txt``
    is skipped: it is byte-identical to ``neutral_muslim_sentences.txt``
    (same blob in PROVENANCE), so 612 of PROVENANCE's 627 lines load."""
    samples = []
    for path in sorted(folder.glob("*/*.txt")):
        if path.relative_to(folder).as_posix() == _TOXIGEN_DUPLICATE:
            continue
        kind, _, group = path.stem.partition("_")
        unsafe = label(kind, {"hate"}, {"neutral"}, "file prefix")
        group = group.removesuffix("_sentences")
        samples += [
            Sample(line, unsafe, snake(group), "en", source="toxigen_demonstrations")
            for line in read_lines(path)
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


def rtp_lx(folder: Path, splits: tuple[str, ...]) -> list[Sample]:
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
        for item in read_jsonl(path):
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
                    category = snake(re.sub(r"(?<=[a-z])(?=[A-Z])", "_", harm))
            samples.append(Sample(text, toxicity >= 3, category, language, source="rtp_lx"))
    return samples


_XSAFETY_LANGUAGES = {"sp": "es"}
_XSAFETY_NAMES = {
    "Crimes_And_Illegal_Activitie": "Crimes_And_Illegal_Activities",
    "commen_sense": "commonsense",
}


def xsafety(folder: Path, splits: tuple[str, ...]) -> list[Sample]:
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
            scenario = snake(_XSAFETY_NAMES.get(stem, stem))
            rows = read_csv_rows(path)
            samples += [
                Sample(
                    row[0].strip(), scenario != "commonsense", scenario, language, source="xsafety"
                )
                for row in rows
                if row and row[0].strip()
            ]
    return samples


_DNA_MODELS = ("GPT4", "ChatGPT", "Claude", "ChatGLM2", "llama2-7b-chat", "vicuna-7b")


def do_not_answer(folder: Path, splits: tuple[str, ...]) -> list[Sample]:
    """Do-Not-Answer: each model's response is an output sample with its
    question as ``prompt``; unsafe = ``<model>_harmful`` (human label);
    category = ``risk_area``. Judgement on refusal: ``action`` 0 (refuses)
    is a refusal, 5 (follows the instruction fully) is not, and 1-4
    (refutes, balanced answer, disclaimer, cannot-answer-limitations) are
    partial or soft, so refusal is None there rather than a guess."""
    rows = read_csv(folder / "data_en.csv")
    samples = []
    for model in _DNA_MODELS:
        for r in rows:
            action = r[f"{model}_action"].strip()
            if action not in {"0", "1", "2", "3", "4", "5"}:
                raise ValueError(f"unexpected {model}_action {action!r}")
            samples.append(
                Sample(
                    r[f"{model}_response"].strip(),
                    label(r[f"{model}_harmful"], {"1"}, {"0"}, f"{model}_harmful"),
                    snake(r["risk_area"]),
                    "en",
                    stage="output",
                    refusal=True if action == "0" else False if action == "5" else None,
                    prompt=r["question"].strip(),
                    source=f"do_not_answer/{model.lower()}",
                )
            )
    return samples


def gptfuzz(folder: Path, splits: tuple[str, ...]) -> list[Sample]:
    """GPTFuzz labelled responses: unsafe = ``label`` 1 (jailbroken: complies
    and is harmful). ``prompt`` is the harmful question only (the template
    used is not stored). Label 0 mixes refusals with off-topic or harmless
    role-play, so refusal is left None. Split ``test`` is evaluate.csv (the
    authors' held-out questions 80-99). Language None: some responses are
    in Chinese or other languages."""
    questions = {r["index"]: r["text"].strip() for r in read_csv(folder / "question_list.csv")}
    files = {"train": "train.csv", "test": "evaluate.csv"}
    return [
        Sample(
            r["Response"].strip(),
            label(r["label"], {"1"}, {"0"}, "label"),
            stage="output",
            prompt=questions[r["question"]],
            source="gptfuzz",
        )
        for part in splits
        for r in read_csv(folder / files[part])
    ]


def seed_tasks(folder: Path, splits: tuple[str, ...]) -> list[Sample]:
    """The 175 Self-Instruct seed tasks: the instruction, then the first
    instance's input where there is one, as a user would paste it. Special
    because the text joins two fields of a nested record."""
    samples = []
    for task in read_jsonl(folder / "seed_tasks.jsonl"):
        instances = task.get("instances") or [{}]
        extra = str(instances[0].get("input") or "").strip()
        text = task["instruction"].strip() + (f"\n\n{extra}" if extra else "")
        samples.append(Sample(text, False, language="en", source="alpaca_benign/seed_tasks"))
    return samples
