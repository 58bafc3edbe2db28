"""Dataset adapters for `sluicegate eval`: the generic JSONL/CSV format, the
named sets in shared/datasets (skipped where that folder is absent), and
the seeded, label-balanced ``limit``."""

from __future__ import annotations

import collections
import json
import re
from pathlib import Path

import pytest

from sluicegate.policies.quality.datasets import (
    DatasetError,
    Sample,
    dataset_info,
    dataset_names,
    datasets_root,
    load_dataset,
)

# --------------------------------------------------------------------------- generic format


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def jsonl(path: Path, rows: list[object]) -> Path:
    return write(path, "".join(json.dumps(r) + "\n" for r in rows))


def test_generic_jsonl_reads_every_label_spelling_and_optional_column(tmp_path: Path) -> None:
    labels = [1, 0, True, False, "1", "0", "true", "FALSE", "unsafe", "safe", "harmful", "Benign"]
    rows: list[object] = [{"text": f" text {i} ", "label": v} for i, v in enumerate(labels)]
    rows.append(
        {
            "text": "Sure, here is how",
            "label": "unsafe",
            "category": "Hate Speech/Slurs",
            "language": "en-US",
            "stage": "output",
            "refusal": False,
            "prompt": "how do I ...",
            "id": 7,  # unknown columns are ignored
        }
    )
    info, samples = load_dataset(str(jsonl(tmp_path / "mine.jsonl", rows)))
    assert [s.unsafe for s in samples[:12]] == [True, False] * 6
    assert samples[0] == Sample("text 0", True, source="mine")
    assert samples[-1] == Sample(
        "Sure, here is how",
        True,
        category="hate_speech_slurs",
        language="en",
        stage="output",
        refusal=False,
        prompt="how do I ...",
        source="mine",
    )
    assert info.name == "mine"
    assert info.languages == ("en",)
    assert info.stage == "input"
    assert not info.redistributable


def test_generic_csv_and_tsv(tmp_path: Path) -> None:
    csv_file = write(
        tmp_path / "set.csv",
        'text,label,language,extra\n"two\nlines, quoted",harmful,de,x\nhello,benign,,y\n',
    )
    _, samples = load_dataset(str(csv_file))
    assert samples == [
        Sample("two\nlines, quoted", True, language="de", source="set"),
        Sample("hello", False, source="set"),
    ]
    tsv_file = write(tmp_path / "set.tsv", "label\ttext\tstage\n0\tok\toutput\n")
    info, samples = load_dataset(str(tsv_file))
    assert samples == [Sample("ok", False, stage="output", source="set")]
    assert info.stage == "output"


def test_generic_json_list_and_refusal_only_rows(tmp_path: Path) -> None:
    path = write(
        tmp_path / "r.json",
        json.dumps([{"text": "I can't help", "refusal": 1}, {"text": "x", "label": "safe"}]),
    )
    _, samples = load_dataset(str(path))
    assert samples[0].unsafe is None and samples[0].refusal is True
    assert samples[1].unsafe is False and samples[1].refusal is None


@pytest.mark.parametrize(
    ("name", "content", "line", "needle"),
    [
        ("a.jsonl", '{"text": "ok", "label": 1}\n{"label": 1}\n', 2, "'text'"),
        ("b.jsonl", '{"text": "ok", "label": 1}\n\n{"text": "x", "label": "maybe"}\n', 3, "maybe"),
        ("c.jsonl", '{"text": "ok", "label": 1}\n{"text": \n', 2, "invalid JSON"),
        ("d.jsonl", '["text", 1]\n', 1, "JSON object"),
        ("e.jsonl", '{"text": "ok"}\n', 1, "missing 'label'"),
        ("f.jsonl", '{"text": "ok", "label": 1, "stage": "middle"}\n', 1, "stage"),
        ("g.jsonl", '{"text": "ok", "label": 1, "language": "english"}\n', 1, "ISO 639-1"),
        ("h.jsonl", '{"text": "ok", "label": 1, "refusal": "perhaps"}\n', 1, "refusal"),
        ("i.csv", "text,label\nfine,0\nbad,2\n", 3, "'2'"),
        ("j.csv", "prompt,label\nfine,0\n", 1, "no 'text' column"),
        ("k.csv", "text,label\n,1\n", 2, "'text'"),
    ],
)
def test_generic_errors_name_file_and_line(
    tmp_path: Path, name: str, content: str, line: int, needle: str
) -> None:
    path = write(tmp_path / name, content)
    with pytest.raises(DatasetError) as info:
        load_dataset(str(path))
    assert f"{path}:{line}:" in str(info.value)
    assert needle in str(info.value)


def test_generic_missing_file_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not found"):
        load_dataset(str(tmp_path / "absent.jsonl"))
    with pytest.raises(DatasetError, match="no samples"):
        load_dataset(str(write(tmp_path / "empty.csv", "text,label\n")))


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(DatasetError) as info:
        load_dataset("no_such_set")
    assert "advbench" in str(info.value) and "xstest_prompts" in str(info.value)
    with pytest.raises(DatasetError, match="advbench"):
        dataset_info("no_such_set")


# --------------------------------------------------------------------------- root, named-set errors


def test_datasets_root_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLUICEGATE_DATASETS", raising=False)
    assert datasets_root(tmp_path) == tmp_path
    with pytest.raises(DatasetError, match="not a directory"):
        datasets_root(tmp_path / "missing")
    monkeypatch.setenv("SLUICEGATE_DATASETS", str(tmp_path))
    assert datasets_root() == tmp_path
    monkeypatch.setenv("SLUICEGATE_DATASETS", str(tmp_path / "missing"))
    with pytest.raises(DatasetError, match="SLUICEGATE_DATASETS"):
        datasets_root()
    monkeypatch.delenv("SLUICEGATE_DATASETS")
    work = tmp_path / "repo"
    work.mkdir()
    monkeypatch.chdir(work)
    with pytest.raises(DatasetError, match="shared/datasets"):
        datasets_root()
    (tmp_path / "shared" / "datasets").mkdir(parents=True)
    assert datasets_root() == (tmp_path / "shared" / "datasets").resolve()
    (work / "shared" / "datasets").mkdir(parents=True)
    assert datasets_root() == (work / "shared" / "datasets").resolve()


def test_named_set_missing_folder_or_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as info:
        load_dataset("advbench", root=tmp_path)
    assert str(tmp_path / "advbench") in str(info.value)
    assert "shared/datasets/advbench" in str(info.value)
    (tmp_path / "advbench").mkdir()
    with pytest.raises(DatasetError) as info:
        load_dataset("advbench", root=tmp_path)
    assert str(tmp_path / "advbench" / "advbench.csv") in str(info.value)


def test_named_set_splits_and_unexpected_content(tmp_path: Path) -> None:
    (tmp_path / "advbench").mkdir()
    write(tmp_path / "advbench" / "advbench.csv", "goal,target\n do harm ,Sure\n")
    # a set without splits is used whole, so one --split can be asked of several sets
    info, samples = load_dataset("advbench", root=tmp_path, split="test")
    assert samples == [Sample("do harm", True, language="en", source="advbench")]
    assert info.name == "advbench"
    with pytest.raises(DatasetError, match="splits: train, test"):
        load_dataset("deepset_prompt_injections", root=tmp_path, split="val")
    write(tmp_path / "advbench" / "advbench.csv", "prompt,target\nx,y\n")
    with pytest.raises(DatasetError, match="unexpected content"):
        load_dataset("advbench", root=tmp_path)


# --------------------------------------------------------------------------- limit


def test_limit_is_seeded_balanced_and_keeps_order(tmp_path: Path) -> None:
    rows: list[object] = [{"text": f"u{i}", "label": 1} for i in range(90)]
    rows += [{"text": f"s{i}", "label": 0} for i in range(10)]
    path = str(jsonl(tmp_path / "sorted.jsonl", rows))
    _, first = load_dataset(path, limit=20)
    _, again = load_dataset(path, limit=20)
    assert first == again
    assert collections.Counter(s.unsafe for s in first) == {True: 10, False: 10}
    order = [int(s.text[1:]) + (0 if s.unsafe else 90) for s in first]
    assert order == sorted(order)
    assert [s.text for s in first] != [f"u{i}" for i in range(10)] + [f"s{i}" for i in range(10)]
    # the smaller label runs out: the rest comes from the larger one
    _, wide = load_dataset(path, limit=50)
    assert collections.Counter(s.unsafe for s in wide) == {True: 40, False: 10}
    _, odd = load_dataset(path, limit=5)
    assert collections.Counter(s.unsafe for s in odd) == {True: 3, False: 2}
    assert len(load_dataset(path, limit=1000)[1]) == 100
    assert load_dataset(path, limit=0)[1] == []
    with pytest.raises(DatasetError, match="limit"):
        load_dataset(path, limit=-1)


def test_limit_balances_refusal_only_labels(tmp_path: Path) -> None:
    rows: list[object] = [{"text": f"r{i}", "refusal": True} for i in range(30)]
    rows += [{"text": f"c{i}", "refusal": False} for i in range(3)]
    _, samples = load_dataset(str(jsonl(tmp_path / "refusals.jsonl", rows)), limit=6)
    assert collections.Counter(s.refusal for s in samples) == {True: 3, False: 3}


# --------------------------------------------------------------------------- named sets

#: name -> (rows, unsafe rows, rows per split). From each PROVENANCE.md, with
#: the adapters' documented changes: harmbench drops its 100 copyright rows;
#: toxigen skips religion/neutral_muslim.txt (same blob as
#: neutral_muslim_sentences.txt, 15 lines); rtp_lx drops the 2-2.67 toxicity
#: band and the EN file, whose texts are all "NA" (PROVENANCE's 4,200 rows /
#: 1,779 toxic / 1,384 non-toxic include EN's 150 / 63 / 62); bipia is built
#: as clean + injected copies of its 300 contexts.
EXPECTED: dict[str, tuple[int, int, dict[str, int]]] = {
    "advbench": (520, 520, {}),
    "harmbench": (300, 300, {"test": 240, "val": 60}),
    "jbb_behaviors": (100, 100, {}),
    "strongreject": (313, 313, {}),
    "malicious_instruct": (100, 100, {}),
    "simple_safety_tests": (100, 100, {}),
    "red_instruct_harmful_questions": (1650, 1650, {}),
    "red_instruct_harmful_questions/harmfulqa": (1960, 1960, {}),
    "red_instruct_harmful_questions/dangerousqa": (200, 200, {}),
    "xstest_prompts": (450, 200, {}),
    "alpaca_benign": (5175, 0, {}),
    "jailbreak_llms": (1405, 1405, {}),
    "jailbreak_llms/forbidden_questions": (390, 390, {}),
    "deepset_prompt_injections": (662, 263, {"train": 546, "test": 116}),
    "toxicchat": (5654, 746, {"train": 2801, "test": 2853}),
    "hatecheck": (3728, 2563, {}),
    "multilingual_hatecheck": (36582, 25511, {}),
    "xsafety": (28199, 28199 - 2200, {}),
    "davidson_hate_offensive": (24783, 1430 + 19190, {}),
    "toxigen_demonstrations": (627 - 15, 342, {}),
    "rtp_lx": ((1779 - 63) + (1384 - 62), 1779 - 63, {}),
    "do_not_answer": (5634, 23 + 14 + 16 + 85 + 3 + 52, {}),
    "gptfuzz": (7700, 1694 + 545, {"train": 6160, "test": 1540}),
    "gptfuzz/templates": (77, 77, {}),
    "tensor_trust": (776 + 570, 776 + 570, {}),
    "tensor_trust/extraction_detection": (230, 115, {}),
    "bipia": (600, 300, {"train": 200, "test": 400}),
    "xquad_questions": (10710, 0, {}),
    "mgsm_prompts": (2750, 0, {}),
    "afriqa_swahili_queries": (1134, 0, {"train": 415, "dev": 417, "test": 302}),
    "arena_hard_prompts": (1250, 0, {}),
    "massive_en_us": (3000, 0, {"train": 2085, "dev": 373, "test": 542}),
}

#: per-language rows where PROVENANCE gives them
PER_LANGUAGE: dict[str, dict[str, int]] = {
    "multilingual_hatecheck": {
        "ar": 3570, "nl": 3765, "fr": 3718, "de": 3645, "hi": 3565,
        "it": 3690, "zh": 3378, "pl": 3815, "pt": 3691, "es": 3745,
    },
    "red_instruct_harmful_questions": {"en": 550, "zh": 550, "vi": 550},
    "xquad_questions": dict.fromkeys(["ar", "de", "en", "es", "hi", "ru", "th", "vi", "zh"], 1190),
    "mgsm_prompts": dict.fromkeys(
        ["bn", "de", "en", "es", "fr", "ja", "ru", "sw", "te", "th", "zh"], 250
    ),
    "afriqa_swahili_queries": {"sw": 1134},
}  # fmt: skip

#: non-commercial, research-only, unverified or unstated licences
NOT_REDISTRIBUTABLE = {
    "alpaca_benign",
    "toxicchat",
    "rtp_lx",
    "malicious_instruct",
    "strongreject",
    "tensor_trust",
    "tensor_trust/extraction_detection",
    "xsafety",
}


def _find_root() -> Path | None:
    try:
        return datasets_root()
    except DatasetError:
        pass
    repo = Path(__file__).resolve().parents[2]
    for candidate in (repo / "shared" / "datasets", repo.parent / "shared" / "datasets"):
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture(scope="module")
def root() -> Path:
    found = _find_root()
    if found is None:
        pytest.skip("shared/datasets is not here (set SLUICEGATE_DATASETS to run these)")
    return found


def test_every_named_set_has_expectations() -> None:
    assert set(dataset_names()) == set(EXPECTED)
    for name in dataset_names():
        info = dataset_info(name)
        assert info.name == name
        assert tuple(EXPECTED[name][2]) == info.splits
        assert info.redistributable == (name not in NOT_REDISTRIBUTABLE), name
        if re.search(r"NC|not stated|research|not verifiable", info.licence):
            assert not info.redistributable, name
        assert info.languages and all(re.fullmatch(r"[a-z]{2}", c) for c in info.languages)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_named_set_loads_with_provenance_counts(root: Path, name: str) -> None:
    rows, unsafe, per_split = EXPECTED[name]
    info, samples = load_dataset(name, root=root)
    assert info == dataset_info(name)
    assert len(samples) == rows
    assert sum(s.unsafe is True for s in samples) == unsafe
    base = name.split("/")[0]
    for s in samples:
        assert s.text and s.text == s.text.strip()
        assert isinstance(s.unsafe, bool) or s.refusal is not None
        assert s.stage == info.stage
        assert s.language is None or s.language in info.languages
        assert s.category is None or re.fullmatch(r"[^\W_A-Z]+(_[^\W_A-Z]+)*", s.category)
        assert s.source == base or s.source.startswith(base + "/")
        assert (s.prompt is not None) == (name in ("do_not_answer", "gptfuzz"))
    for split, count in per_split.items():
        assert len(load_dataset(name, root=root, split=split)[1]) == count
    by_language = collections.Counter(s.language for s in samples)
    for language, count in PER_LANGUAGE.get(name, {}).items():
        assert by_language[language] == count


def shared_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def test_label_details_of_a_few_sets(root: Path) -> None:
    _, xstest = load_dataset("xstest_prompts", root=root)
    assert {s.category for s in xstest if s.unsafe} == {
        s.category for s in xstest if s.category and s.category.startswith("contrast_")
    }
    _, dna = load_dataset("do_not_answer", root=root)
    assert collections.Counter(s.refusal for s in dna) == {None: 3908, True: 1541, False: 185}
    _, toxic = load_dataset("toxicchat", root=root, split="test")
    assert sum(s.category == "jailbreaking" for s in toxic) == 91
    _, xsafety = load_dataset("xsafety", root=root)
    assert {s.unsafe for s in xsafety if s.category == "commonsense"} == {False}
    assert len({s.category for s in xsafety}) == 14
    _, rtp = load_dataset("rtp_lx", root=root)
    assert "en" not in {s.language for s in rtp}
    _, bipia = load_dataset("bipia", root=root, split="test")
    pairs = list(zip(bipia[::2], bipia[1::2], strict=True))
    for clean, injected in pairs:
        assert (clean.unsafe, injected.unsafe) == (False, True)
        assert clean.category is None and injected.category
        # the attack is inserted whole: the clean text is a prefix plus a suffix of it
        head = shared_prefix(clean.text, injected.text)
        tail = shared_prefix(clean.text[::-1], injected.text[::-1])
        assert head + tail >= len(clean.text) < len(injected.text)
    assert collections.Counter(i.text.startswith(c.text) for c, i in pairs)[True] > 50


def test_limit_on_a_named_set(root: Path) -> None:
    _, first = load_dataset("toxicchat", root=root, split="test", limit=100)
    _, again = load_dataset("toxicchat", root=root, split="test", limit=100)
    assert first == again
    assert collections.Counter(s.unsafe for s in first) == {True: 50, False: 50}
    _, whole = load_dataset("toxicchat", root=root, split="test")
    rest = iter(whole)
    assert all(any(s == w for w in rest) for s in first)  # a subsequence: original order


# --------------------------------------------------------------------------- readers


def test_readers_map_fields_files_and_splits(tmp_path: Path) -> None:
    from sluicegate.policies.quality.datasets.readers import File, Label, Lines, Questions, Rows

    write(tmp_path / "a_en.csv", "t,y,kind\n Hi &amp; bye ,yes,Hate Speech\n,no,x\n")
    write(tmp_path / "a_de.csv", "t,y,kind\nHallo,no,Other\n")
    rows = Rows(
        (File("a_*.csv", language_from=r"a_(.+)\.csv"),),
        text="t",
        unsafe=Label("y", frozenset({"yes"}), frozenset({"no"})),
        category="kind",
        source="s",
        skip_empty=True,
        unescape_html=True,
    )
    assert rows(tmp_path, ()) == [
        Sample("Hallo", False, "other", "de", source="s"),
        Sample("Hi & bye", True, "hate_speech", "en", source="s"),
    ]
    jsonl(tmp_path / "p.jsonl", [{"q": "one", "part": "dev"}, {"q": "two", "part": "test"}])
    by_field = Rows(
        (File("p.jsonl"),), text="q", unsafe=False, format="jsonl", split_field="part", source="p"
    )
    assert [s.text for s in by_field(tmp_path, ("test",))] == ["two"]
    by_file = Rows(
        (File("p.jsonl", split="dev"),), text="q", unsafe=False, format="jsonl", source="p"
    )
    assert by_file(tmp_path, ("test",)) == [] and len(by_file(tmp_path, ("dev",))) == 2
    write(tmp_path / "b.csv", "t,y\nx,maybe\n")
    with pytest.raises(ValueError, match="unexpected y 'maybe'"):
        Rows((File("b.csv"),), text="t", unsafe=rows.unsafe, source="b")(tmp_path, ())
    write(tmp_path / "l.tsv", "2+2?\t4\n\n 3+3? \t6\n")
    assert [s.text for s in Lines((File("l.tsv"),), True, "l", column=0)(tmp_path, ())] == [
        "2+2?",
        "3+3?",
    ]
    write(tmp_path / "q.json", json.dumps({"Hate/Speech": {"sub": [" a ", "b"]}}))
    write(tmp_path / "r.json", json.dumps(["c"]))
    questions = Questions((File("q.json"), File("r.json", language="vi")), True, "q", "en")
    assert questions(tmp_path, ()) == [
        Sample("a", True, "hate_speech", "en", source="q"),
        Sample("b", True, "hate_speech", "en", source="q"),
        Sample("c", True, None, "vi", source="q"),
    ]
