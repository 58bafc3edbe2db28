"""The named sets: one row each, so adding a set is adding a row.

A row names the folder under the datasets root, the reader with its
parameters (:mod:`.readers`, or one of :mod:`.special` where a set needs
its own), and what :class:`DatasetInfo` says about the set. A comment above
a row records a judgement its parameters make (what counts as unsafe, why
language is None). Sets with a non-commercial, research-only or unknown
licence are ``redistributable=False``: evaluate on them, never train on them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from . import special
from .readers import Concat, File, Label, Lines, Questions, Reader, Rows, files
from .samples import DatasetInfo, StageName, Task


@dataclass(frozen=True, slots=True)
class NamedSet:
    name: str
    #: folder under the datasets root
    folder: str
    read: Reader
    #: one line: what it measures
    description: str
    #: as PROVENANCE.md states it
    licence: str
    #: False for non-commercial, research-only or unknown licences: evaluate, never train
    redistributable: bool
    task: Task
    languages: tuple[str, ...]
    stage: StageName = "input"
    splits: tuple[str, ...] = ()

    @property
    def info(self) -> DatasetInfo:
        return DatasetInfo(
            name=self.name,
            description=self.description,
            licence=self.licence,
            redistributable=self.redistributable,
            task=self.task,
            stage=self.stage,
            languages=self.languages,
            splits=self.splits,
        )


def _is(*values: object) -> frozenset[object]:
    return frozenset(values)


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

_DAVIDSON_CLASSES = MappingProxyType(
    {"0": "hate_speech", "1": "offensive_language", "2": "neither"}
)


def _xquad_questions(document: Any) -> list[Mapping[str, Any]]:
    """SQuAD layout: data -> paragraphs -> qas."""
    return [
        qa
        for article in document["data"]
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    ]


SETS: tuple[NamedSet, ...] = (
    # ------------------------------------------------------------------ harmful prompts
    NamedSet(
        name="advbench",
        folder="advbench",
        read=Rows(files("advbench.csv"), text="goal", unsafe=True, language="en",
                  source="advbench"),
        description="AdvBench harmful behaviours: input-guard recall",
        licence="MIT (upstream llm-attacks); copy repo Apache-2.0",
        redistributable=True, task="harmful", languages=("en",),
    ),
    NamedSet(
        name="harmbench",
        folder="harmbench",
        read=special.harmbench,
        description="HarmBench harmful behaviours by semantic category, copyright "
        "behaviours left out: input-guard recall",
        licence="MIT",
        redistributable=True, task="harmful", languages=("en",), splits=("test", "val"),
    ),
    # 10 policy areas; expert_advice and government_decision_making are policy-specific
    NamedSet(
        name="jbb_behaviors",
        folder="jbb_behaviors",
        read=Rows(files("jailbreakbench.csv"), text="Goal", unsafe=True, category="Category",
                  language="en", source="jbb_behaviors"),
        description="JailbreakBench harmful behaviours, 10 policy categories: "
        "input-guard recall",
        licence="MIT (JailbreakBench); copy repo Apache-2.0",
        redistributable=True, task="harmful", languages=("en",),
    ),
    NamedSet(
        name="strongreject",
        folder="strongreject",
        read=Rows(files("strongreject_dataset.csv"), text="forbidden_prompt", unsafe=True,
                  category="category", language="en", source="strongreject"),
        description="StrongREJECT forbidden prompts, 6 categories: input-guard recall",
        licence="reportedly MIT upstream, not verifiable (PROVENANCE)",
        redistributable=False, task="harmful", languages=("en",),
    ),
    # one question per line, no per-line category
    NamedSet(
        name="malicious_instruct",
        folder="malicious_instruct",
        read=Lines(files("MaliciousInstruct.txt"), unsafe=True, language="en",
                   source="malicious_instruct"),
        description="MaliciousInstruct harmful questions: input-guard recall",
        licence="not stated",
        redistributable=False, task="harmful", languages=("en",),
    ),
    NamedSet(
        name="simple_safety_tests",
        folder="simple_safety_tests",
        read=Rows(files("SimpleSafetyTests - test cases.csv"), text="prompts_final",
                  unsafe=True, category="harm_area", language="en",
                  source="simple_safety_tests"),
        description="SimpleSafetyTests clearly harmful prompts, 5 harm areas: input-guard "
        "recall floor",
        licence="CC-BY-4.0",
        redistributable=True, task="harmful", languages=("en",),
    ),
    # CatQA, parallel en/zh/vi; category = the top-level CatQA category (its
    # sub-category keys differ per language). HarmfulQA and DangerousQA from the
    # same folder are separate names, so this default stays the clean,
    # categorised, parallel CatQA.
    NamedSet(
        name="red_instruct_harmful_questions",
        folder="red_instruct_harmful_questions",
        read=Questions(
            (File("catqa_english.json", language="en"),
             File("catqa_chinese.json", language="zh"),
             File("catqa_vietnamese.json", language="vi")),
            unsafe=True, source="red_instruct_harmful_questions/catqa",
        ),
        description="CatQA harmful questions, parallel en/zh/vi, 11 categories: "
        "multilingual input-guard recall",
        licence="Apache-2.0",
        redistributable=True, task="harmful", languages=("en", "zh", "vi"),
    ),
    # ChatGPT-written questions framed around academic topics, all counted unsafe
    # although PROVENANCE warns some are only mildly harmful; category = the
    # academic topic (not a harm type)
    NamedSet(
        name="red_instruct_harmful_questions/harmfulqa",
        folder="red_instruct_harmful_questions",
        read=Questions(files("harmfulqa.json"), unsafe=True, language="en",
                       source="red_instruct_harmful_questions/harmfulqa"),
        description="HarmfulQA academic-framed harmful questions (some only mildly "
        "harmful): input-guard recall",
        licence="Apache-2.0",
        redistributable=True, task="harmful", languages=("en",),
    ),
    NamedSet(
        name="red_instruct_harmful_questions/dangerousqa",
        folder="red_instruct_harmful_questions",
        read=Questions(files("dangerousqa.json"), unsafe=True, language="en",
                       source="red_instruct_harmful_questions/dangerousqa"),
        description="DangerousQA harmful questions: input-guard recall",
        licence="Apache-2.0",
        redistributable=True, task="harmful", languages=("en",),
    ),
    # label safe: 250 look-alikes a guard should pass; unsafe: 200 contrast prompts
    NamedSet(
        name="xstest_prompts",
        folder="xstest_prompts",
        read=Rows(files("xstest_prompts.csv"), text="prompt",
                  unsafe=Label("label", _is("unsafe"), _is("safe")), category="type",
                  language="en", source="xstest_prompts"),
        description="XSTest safe look-alikes vs unsafe contrast prompts: input-guard "
        "over-blocking (FPR) and recall",
        licence="CC-BY-4.0",
        redistributable=True, task="harmful", languages=("en",),
    ),
    # all counted unsafe; PROVENANCE notes that political_lobbying, legal_opinion,
    # financial_advice, health_consultation and gov_decision are
    # "sensitive/regulated" rather than harmful: score those categories apart
    NamedSet(
        name="jailbreak_llms/forbidden_questions",
        folder="jailbreak_llms",
        read=Rows(files("forbidden_question_set.csv"), text="question", unsafe=True,
                  category="content_policy_name", language="en",
                  source="jailbreak_llms/forbidden_questions"),
        description="Forbidden questions, 13 policy scenarios: input-guard recall",
        licence="MIT (upstream verazuo/jailbreak_llms)",
        redistributable=True, task="harmful", languages=("en",),
    ),
    # ------------------------------------------------------------------ jailbreak / injection
    # every row must be flagged jailbreak True (anything else is an error); mostly
    # English with some other languages and no per-row language, so language is
    # None; 41 exact duplicates are kept (PROVENANCE counts them)
    NamedSet(
        name="jailbreak_llms",
        folder="jailbreak_llms",
        read=Rows((File("jailbreak_prompts_2023_12_25.csv", category="jailbreak"),),
                  text="prompt", unsafe=Label("jailbreak", _is("True"), what="jailbreak flag"),
                  source="jailbreak_llms"),
        description="In-the-wild jailbreak prompts: jailbreak-detector recall",
        licence="MIT (upstream verazuo/jailbreak_llms)",
        redistributable=True, task="jailbreak", languages=("en", "zh"),
    ),
    NamedSet(
        name="gptfuzz/templates",
        folder="gptfuzz",
        read=special.gptfuzz_templates,
        description="GPTFuzzer jailbreak templates filled with a harmful question: "
        "jailbreak-detector recall",
        licence="MIT",
        redistributable=True, task="jailbreak", languages=("en",),
    ),
    # label 1 = injection; PROVENANCE names en and de (plus a few others) but
    # there is no per-row language, so language is None
    NamedSet(
        name="deepset_prompt_injections",
        folder="deepset_prompt_injections",
        read=Rows(
            (File("train-00000-of-00001-9564e8b05b4757ab.csv", split="train"),
             File("test-00000-of-00001-701d16158af87368.csv", split="test")),
            text="text", unsafe=Label("label", _is("1"), _is("0")),
            source="deepset_prompt_injections",
        ),
        description="Prompt injection vs legitimate requests: injection-guard "
        "precision/recall",
        licence="Apache-2.0 (HF dataset card); copy repo MIT",
        redistributable=True, task="injection", languages=("en", "de"),
        splits=("train", "test"),
    ),
    # every attack (hijacking and extraction) is a prompt injection; the game's
    # only legitimate input, the access code, is not used as a negative (too
    # weak); language None: attacks mix unicode tricks, code and other languages
    NamedSet(
        name="tensor_trust",
        folder="tensor_trust",
        read=Rows(
            tuple(
                File(f"{kind}_robustness_dataset.jsonl", category=kind,
                     source=f"tensor_trust/{kind}")
                for kind in ("hijacking", "extraction")
            ),
            text="attack", unsafe=True, format="jsonl", skip_empty=True,
            source="tensor_trust",
        ),
        description="Tensor Trust hijacking and extraction attacks: injection-guard recall",
        licence="not stated (no LICENSE in repo)",
        redistributable=False, task="injection", languages=("en",),
    ),
    # the output side: llm_output is unsafe when it leaks the access code
    NamedSet(
        name="tensor_trust/extraction_detection",
        folder="tensor_trust",
        read=Rows(
            (File("prompt_extraction_detection.jsonl", category="prompt_extraction"),),
            text="llm_output",
            unsafe=Label("is_prompt_extraction", _is(True), _is(False)),
            format="jsonl", stage="output", source="tensor_trust/extraction_detection",
        ),
        description="Model outputs that do or do not leak the secret access code: "
        "output leak detection",
        licence="not stated (no LICENSE in repo)",
        redistributable=False, task="injection", languages=("en",), stage="output",
    ),
    NamedSet(
        name="bipia",
        folder="bipia",
        read=special.bipia,
        description="Clean vs attack-inserted external content (email, code, table): "
        "indirect-injection guard TPR/FPR",
        licence="MIT; tables CC-BY-SA-4.0 (WikiTableQuestions), code contexts from "
        "Stack Exchange",
        redistributable=True, task="injection", languages=("en",), splits=("train", "test"),
    ),
    # ------------------------------------------------------------------ toxicity / hate
    NamedSet(
        name="toxicchat",
        folder="toxicchat",
        read=special.toxicchat,
        description="Real user prompts, human toxicity and jailbreaking labels: "
        "toxicity-guard F1 at a realistic base rate",
        licence="CC-BY-NC-4.0",
        redistributable=False, task="toxicity", languages=("en",), splits=("train", "test"),
    ),
    NamedSet(
        name="hatecheck",
        folder="hatecheck",
        read=Rows(files("test_suite_cases.csv"), text="test_case",
                  unsafe=Label("label_gold", _is("hateful"), _is("non-hateful")),
                  category="functionality", language="en", source="hatecheck"),
        description="HateCheck functional tests, hateful vs non-hateful: hate-guard "
        "accuracy per functionality",
        licence="CC-BY-4.0",
        redistributable=True, task="toxicity", languages=("en",),
    ),
    # unsafe = the gold label, also where annotators disagreed
    NamedSet(
        name="multilingual_hatecheck",
        folder="multilingual_hatecheck",
        read=Rows(
            tuple(
                File(f"hatecheck_cases_final_{stem}.csv", language=language)
                for stem, language in _MHC_LANGUAGES.items()
            ),
            text="test_case", unsafe=Label("label_gold", _is("hateful"), _is("non-hateful")),
            category="functionality", source="multilingual_hatecheck",
        ),
        description="Multilingual HateCheck, 10 languages: hate-guard accuracy per language",
        licence="CC-BY-4.0",
        redistributable=True, task="toxicity", languages=tuple(sorted(_MHC_LANGUAGES.values())),
    ),
    NamedSet(
        name="xsafety",
        folder="xsafety",
        read=special.xsafety,
        description="XSafety risky prompts, 13 scenarios x 10 languages, commonsense as "
        "negatives: multilingual input-guard recall",
        licence="Apache-2.0 (README: research use only)",
        redistributable=False, task="mixed",
        languages=("ar", "bn", "de", "en", "es", "fr", "hi", "ja", "ru", "zh"),
    ),
    # Judgement: unsafe = hate speech (class 0) or offensive language (class 1),
    # safe = neither (2), the "toxic vs not" reading of PROVENANCE; category keeps
    # the three classes so hate-only recall can be read per category
    NamedSet(
        name="davidson_hate_offensive",
        folder="davidson_hate_offensive",
        read=Rows(files("labeled_data.csv"), text="tweet",
                  unsafe=Label("class", _is("0", "1"), _is("2")), category="class",
                  category_names=_DAVIDSON_CLASSES, language="en", unescape_html=True,
                  source="davidson_hate_offensive"),
        description="Tweets, hate or offensive vs neither: toxicity-guard F1 and dialect FPR",
        licence="MIT",
        redistributable=True, task="toxicity", languages=("en",),
    ),
    NamedSet(
        name="toxigen_demonstrations",
        folder="toxigen_demonstrations",
        read=special.toxigen,
        description="ToxiGen implicit hate vs neutral statements about 13 groups: "
        "hate-guard F1 beyond keywords",
        licence="MIT",
        redistributable=True, task="toxicity", languages=("en",),
    ),
    NamedSet(
        name="rtp_lx",
        folder="rtp_lx",
        read=special.rtp_lx,
        description="RTP-LX toxic vs non-toxic prompt starts, 27 locales: multilingual "
        "toxicity-guard F1",
        licence="MIT + third-party; metadata lists CC-BY-NC-4.0",
        redistributable=False, task="toxicity",
        languages=("ar", "cs", "da", "de", "es", "fi", "fr", "he", "hi", "hu", "id", "it",
                   "ja", "ko", "nl", "no", "pl", "pt", "ru", "sh", "sv", "sw", "th", "tr",
                   "uk", "zh"),
    ),
    # ------------------------------------------------------------------ output stage
    NamedSet(
        name="do_not_answer",
        folder="do_not_answer",
        read=special.do_not_answer,
        description="6 models' responses to risky questions, human harmful and refusal "
        "labels: output harm and refusal detection",
        licence="Apache-2.0",
        redistributable=True, task="output_harm", languages=("en",), stage="output",
    ),
    NamedSet(
        name="gptfuzz",
        folder="gptfuzz",
        read=special.gptfuzz,
        description="Responses to jailbreak-wrapped questions, human jailbroken labels: "
        "output harm detection",
        licence="MIT",
        redistributable=True, task="output_harm", languages=("en", "zh"), stage="output",
        splits=("train", "test"),
    ),
    # ------------------------------------------------------------------ benign prompts
    # the 5,000 Alpaca instructions, then the 175 Self-Instruct seed tasks
    NamedSet(
        name="alpaca_benign",
        folder="alpaca_benign",
        read=Concat((
            Rows(files("alpaca.json"), text="instruction", unsafe=False, format="json",
                 language="en", source="alpaca_benign/alpaca"),
            special.seed_tasks,
        )),
        description="Alpaca and Self-Instruct benign instructions: input-guard FPR",
        licence="CC-BY-NC-4.0 (Alpaca data)",
        redistributable=False, task="benign", languages=("en",),
    ),
    NamedSet(
        name="xquad_questions",
        folder="xquad_questions",
        read=Rows((File("xquad.*.json", language_from=r"xquad\.(.+)\.json"),),
                  text="question", unsafe=False, format="json", records=_xquad_questions,
                  source="xquad_questions"),
        description="XQuAD reading-comprehension questions, 9 languages: benign FPR per "
        "language",
        licence="CC-BY-SA-4.0",
        redistributable=True, task="benign",
        languages=("ar", "de", "en", "es", "hi", "ru", "th", "vi", "zh"),
    ),
    # word problems are column 0 of a header-less TSV
    NamedSet(
        name="mgsm_prompts",
        folder="mgsm_prompts",
        read=Lines((File("mgsm_*.tsv", language_from=r"mgsm_(.+)\.tsv"),), unsafe=False,
                   column=0, source="mgsm_prompts"),
        description="MGSM maths word problems, 11 languages: benign FPR per language",
        licence="CC-BY-4.0",
        redistributable=True, task="benign",
        languages=("bn", "de", "en", "es", "fr", "ja", "ru", "sw", "te", "th", "zh"),
    ),
    # the native Swahili question; the English translated_question is not used
    NamedSet(
        name="afriqa_swahili_queries",
        folder="afriqa_swahili_queries",
        read=Rows(
            tuple(File(f"queries.afriqa.swa.en.{part}.json", split=part)
                  for part in ("train", "dev", "test")),
            text="question", unsafe=False, format="jsonl", language="sw",
            source="afriqa_swahili_queries",
        ),
        description="Native Swahili questions: benign FPR in Swahili",
        licence="CC-BY-4.0",
        redistributable=True, task="benign", languages=("sw",),
        splits=("train", "dev", "test"),
    ),
    # real user prompts (creative-writing ones may hold mature fiction, PROVENANCE
    # says spot-check); v0.1 is English, v2.0 mixes languages without a column so
    # its language is None, and its subcategory (coding, math, creative_writing)
    # is the category
    NamedSet(
        name="arena_hard_prompts",
        folder="arena_hard_prompts",
        read=Concat((
            Rows(files("arena-hard-v0.1/question.jsonl"), text="prompt", unsafe=False,
                 format="jsonl", language="en", source="arena_hard_prompts/v0.1"),
            Rows(files("arena-hard-v2.0/question.jsonl"), text="prompt", unsafe=False,
                 format="jsonl", category="subcategory", source="arena_hard_prompts/v2.0"),
        )),
        description="Long real Chatbot Arena prompts (coding, maths, writing): benign FPR "
        "on heavy use",
        licence="Apache-2.0 (repo licence)",
        redistributable=True, task="benign", languages=("en", "zh", "ru", "ja", "ko", "ar"),
    ),
    # seeded 3,000 en-US utterances; the split is each row's partition
    NamedSet(
        name="massive_en_us",
        folder="massive_en_us",
        read=Rows(files("en-US.sample3000.jsonl"), text="utt", unsafe=False, format="jsonl",
                  category="scenario", language="en", split_field="partition",
                  source="massive_en_us"),
        description="Short voice-assistant commands: benign FPR on short inputs",
        licence="CC-BY-4.0",
        redistributable=True, task="benign", languages=("en",),
        splits=("train", "dev", "test"),
    ),
)  # fmt: skip


def named_sets() -> dict[str, NamedSet]:
    """Every named set by name."""
    return {s.name: s for s in SETS}
