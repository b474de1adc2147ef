"""Tests of the pure diff, blame and merge engine for article revisions."""

from __future__ import annotations

import contextlib
import itertools
import re
import unicodedata
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cms.articles import diffs
from cms.articles.content import Document
from cms.articles.diffs import engine as diff_engine
from cms.articles.diffs.tokens import count_words

FAST = diff_engine.fast_diff_match_patch
ENGINES = [
    pytest.param(
        "fast",
        marks=pytest.mark.skipif(FAST is None, reason="fast-diff-match-patch not installed"),
    ),
    "difflib",
]
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@contextlib.contextmanager
def engine(name: str) -> Iterator[None]:
    """Run word diffs with fast-diff-match-patch (``fast``) or the difflib fallback."""
    with mock.patch.object(diff_engine, "fast_diff_match_patch", FAST if name == "fast" else None):
        yield


def doc(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "headline": "Council approves harbour plan",
        "deck": None,
        "slug": "council-harbour-plan",
        "dateline": {"city": "Portsmouth", "country": "UK"},
        "bylines": [{"name": "Ann Writer", "role": "staff"}],
        "section": "local",
        "keywords": ["harbour", "council"],
        "language": "en",
        "body": "",
    }
    return base | fields


def side(words: list[dict[str, str]], kind: str) -> str:
    return "".join(w["text"] for w in words if w["op"] in ("equal", kind))


def check_word_ops(words: list[dict[str, str]], old: str, new: str) -> None:
    assert side(words, "delete") == old
    assert side(words, "insert") == new
    assert all(w["text"] for w in words)
    assert all(a["op"] != b["op"] for a, b in itertools.pairwise(words))


def body_diff(old: str, new: str) -> dict[str, Any]:
    return diffs.diff_documents(doc(body=old), doc(body=new))


def ops_of(diff: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [op for op in diff["body"]["paragraphs"] if op["op"] == kind]


# -- strategies -------------------------------------------------------------------------

WORDS = [
    *["the", "mayor", "said", "council", "harbour", "plan", "vote", "budget", "rain"],
    *["café", "naïve", "Zürich", "São", "Paulo", "Ærøskøbing", "façade"],
    "cafe\u0301",  # decomposed accent
    "Z\u0327\u0306",  # a letter with two combining marks
    *["مرحبا", "بالعالم", "السلام", "عليكم"],
    "مَرْحَبًا",
    *["שלום", "עולם"],
    "שָׁלוֹם",
    *[
        "👍",
        "👍🏽",
        "👩\u200d💻",
        "👨\u200d👩\u200d👧\u200d👦",
        "🏳️\u200d🌈",
        "❤️\u200d🔥",
        "🇫🇷",
        "🇯🇵",
        "#️⃣",
        "🤷🏿\u200d♀️",
    ],
    *["日本語の文章です", "中文测试句子", "한국어문장", "ภาษาไทยง่าย"],
    "ไม่",
    "กำลัง",  # Thai with combining vowels and tone marks
    "\u1100\u1161\u11a8",  # Hangul spelt with conjoining Jamo
    *["don't", "3.5%", "10:30", "1,000", "e.g.", "U.S."],
]
PUNCTUATION = [".", ",", ";", "!", "?", "«", "»", "—", "'", '"', "(", ")", "…", "*", "_", "#"]
GAPS = [" ", " ", " ", "  ", "\n", "\t", "\u00a0", ""]
SEPARATORS = ["\n\n", "\n\n", "\n\n", "\n\n\n", "\n \n", "\n\n\n\n", "\n\t\n"]

tokens = st.one_of(st.sampled_from(WORDS), st.sampled_from(PUNCTUATION))
paragraph = st.lists(
    st.tuples(tokens, st.sampled_from(GAPS)).map("".join), min_size=1, max_size=12
).map(lambda parts: "".join(parts).strip())


def join(paragraphs: list[str], separators: list[str]) -> str:
    """Return ``paragraphs`` joined, each after the first preceded by the next separator."""
    out = paragraphs[:1]
    for separator, text in zip(separators, paragraphs[1:], strict=False):
        out += [separator, text]
    return "".join(out)


@st.composite
def bodies(draw: st.DrawFn) -> str:
    paragraphs = draw(st.lists(paragraph, max_size=8))
    return join(paragraphs, draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(paragraphs))))


@st.composite
def edited(draw: st.DrawFn, body: str) -> str:
    """Return ``body`` with a few paragraph- and word-level edits."""
    paragraphs, seps = diffs.split_paragraphs(body)
    seps = [*seps, "\n\n"]
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["insert", "delete", "move", "edit", "edit", "separator"]))
        at = draw(st.integers(0, max(len(paragraphs) - 1, 0)))
        if kind == "insert" or not paragraphs:
            paragraphs.insert(at, draw(paragraph))
            seps.insert(at, draw(st.sampled_from(SEPARATORS)))
        elif kind == "delete":
            del paragraphs[at], seps[at]
        elif kind == "move":
            text, sep = paragraphs.pop(at), seps.pop(at)
            to = draw(st.integers(0, len(paragraphs)))
            paragraphs.insert(to, text)
            seps.insert(to, sep)
        elif kind == "separator":
            seps[at] = draw(st.sampled_from(SEPARATORS))
        else:
            parts = diffs.tokenize(paragraphs[at])
            where = draw(st.integers(0, len(parts)))
            cut = draw(st.integers(0, 3))
            parts[where : where + cut] = draw(st.lists(st.sampled_from([*WORDS, " "]), max_size=3))
            paragraphs[at] = "".join(parts).strip() or "x"
    return join(paragraphs, seps)


# -- properties -------------------------------------------------------------------------


def check_body_diff(old: str, new: str) -> None:
    diff = body_diff(old, new)
    assert diffs.apply_body_diff(old, diff["body"]) == new
    old_paragraphs, _ = diffs.split_paragraphs(old)
    new_paragraphs, _ = diffs.split_paragraphs(new)
    ops = diff["body"]["paragraphs"]
    assert sorted(op["old_index"] for op in ops if "old_index" in op) == list(
        range(len(old_paragraphs))
    )
    assert sorted(op["new_index"] for op in ops if "new_index" in op) == list(
        range(len(new_paragraphs))
    )
    for op in ops:
        if "words" in op:
            check_word_ops(
                op["words"], old_paragraphs[op["old_index"]], new_paragraphs[op["new_index"]]
            )
    assert all(value >= 0 for value in diff["stats"].values())


@pytest.mark.parametrize("name", ENGINES)
@PROPERTY
@given(data=st.data())
def test_body_diff_round_trips_after_edits(name: str, data: st.DataObject) -> None:
    old = data.draw(bodies(), label="old")
    new = data.draw(edited(old), label="new")
    with engine(name):
        check_body_diff(old, new)


@pytest.mark.parametrize("name", ENGINES)
@PROPERTY
@given(old=bodies(), new=bodies())
def test_body_diff_round_trips_between_unrelated_bodies(name: str, old: str, new: str) -> None:
    with engine(name):
        check_body_diff(old, new)


@pytest.mark.parametrize("name", ENGINES)
@PROPERTY
@given(old=st.text(max_size=200), new=st.text(max_size=200))
def test_any_text_round_trips(name: str, old: str, new: str) -> None:
    with engine(name):
        check_body_diff(old, new)
        diff = diffs.diff_documents(doc(headline=old), doc(headline=new))
    if old != new:
        check_word_ops(diff["fields"][0]["words"], old, new)


@PROPERTY
@given(text=st.text(st.characters(codec="utf-8"), max_size=300) | bodies())
def test_tokens_join_back_and_keep_marks_with_their_base(text: str) -> None:
    tokens = diffs.tokenize(text)
    assert "".join(tokens) == text
    assert all(tokens)
    for before, token in itertools.pairwise(tokens):
        if unicodedata.category(token[0]).startswith("M"):
            assert before[-1].isspace()


# -- body examples ----------------------------------------------------------------------

ALPHA = "The council met on Tuesday evening to discuss the harbour."
BETA = "Residents raised concerns about traffic and noise near the quay."
GAMMA = "A final decision is expected before the end of the month."
DELTA = "The mayor declined to comment on the proposal."


def test_moved_paragraph_is_a_move() -> None:
    diff = body_diff(
        "\n\n".join([ALPHA, BETA, GAMMA, DELTA]), "\n\n".join([ALPHA, GAMMA, DELTA, BETA])
    )

    assert ops_of(diff, "move") == [{"op": "move", "old_index": 1, "new_index": 3, "text": BETA}]
    assert not ops_of(diff, "insert")
    assert not ops_of(diff, "delete")
    assert diff["stats"]["paragraphs_moved"] == 1
    assert diff["stats"]["words_added"] == diff["stats"]["words_removed"] == 0


def test_moved_and_edited_paragraph_is_a_move_with_words() -> None:
    edited_beta = BETA.replace("traffic", "parking")
    diff = body_diff(
        "\n\n".join([ALPHA, BETA, GAMMA, DELTA]),
        "\n\n".join([ALPHA, GAMMA, DELTA, edited_beta]),
    )

    (move,) = ops_of(diff, "move")
    assert (move["old_index"], move["new_index"]) == (1, 3)
    check_word_ops(move["words"], BETA, edited_beta)


@pytest.mark.parametrize("name", ENGINES)
def test_typo_fix_is_a_change_of_one_word(name: str) -> None:
    with engine(name):
        diff = body_diff(f"{ALPHA}\n\n{BETA.replace('traffic', 'trafic')}", f"{ALPHA}\n\n{BETA}")

    (change,) = ops_of(diff, "change")
    assert (change["old_index"], change["new_index"]) == (1, 1)
    assert [w for w in change["words"] if w["op"] != "equal"] == [
        {"op": "delete", "text": "trafic"},
        {"op": "insert", "text": "traffic"},
    ]
    assert diff["stats"] == {
        "words_added": 1,
        "words_removed": 1,
        "paragraphs_changed": 1,
        "paragraphs_added": 0,
        "paragraphs_removed": 0,
        "paragraphs_moved": 0,
    }


@pytest.mark.parametrize("name", ENGINES)
def test_cjk_edit_is_diffed_by_character(name: str) -> None:
    with engine(name):
        diff = body_diff("我今天去学校上课。", "我明天去学校上课。")

    (change,) = ops_of(diff, "change")
    assert change["words"] == [
        {"op": "equal", "text": "我"},
        {"op": "delete", "text": "今"},
        {"op": "insert", "text": "明"},
        {"op": "equal", "text": "天去学校上课。"},
    ]


def test_emoji_sequences_and_marks_are_never_split() -> None:
    family, smaller_family = "👨\u200d👩\u200d👧\u200d👦", "👨\u200d👩\u200d👧"
    shrug, other_shrug = "🤷🏿\u200d♀️", "🤷🏽\u200d♀️"
    old = f"Family {family} and {shrug} at the café"
    new = f"Family {smaller_family} and {other_shrug} at the cafe\u0301"
    diff = diffs.diff_documents(doc(headline=old), doc(headline=new))

    texts = [w["text"] for w in diff["fields"][0]["words"] if w["op"] != "equal"]
    assert texts == [family, smaller_family, shrug, other_shrug, "café", "cafe\u0301"]


def test_rewritten_text_gives_block_replacements() -> None:
    old = "\n\n".join([ALPHA, BETA, GAMMA])
    new = "\n\n".join(
        [
            "Storms closed the coastal road for three days last week.",
            "Engineers say repairs will cost far more than first thought.",
        ]
    )
    diff = body_diff(old, new)

    assert [op["op"] for op in diff["body"]["paragraphs"]] == ["delete"] * 3 + ["insert"] * 2


def test_separators_are_kept_exactly() -> None:
    old = f"{ALPHA}\nstill the first paragraph\n\n\n\n{BETA}\n \n{GAMMA}"
    new = f"{ALPHA}\nstill the first paragraph\n\n{BETA}\n \n{GAMMA}\n\n\n{DELTA}"
    diff = body_diff(old, new)

    assert diffs.apply_body_diff(old, diff["body"]) == new
    assert diff["body"]["separators"] == [
        {"after": 1, "text": "\n \n"},
        {"after": 2, "text": "\n\n\n"},
    ]
    assert diffs.summarize(body_diff(old, old.replace("\n\n\n\n", "\n\n"))) == "body spacing"


def test_body_diff_for_another_body_is_refused() -> None:
    diff = body_diff(f"{ALPHA}\n\n{BETA}", f"{ALPHA}\n\n{GAMMA}")

    with pytest.raises(ValueError, match="differs"):
        diffs.apply_body_diff(f"{ALPHA}\n\n{DELTA}", diff["body"])
    with pytest.raises(ValueError, match="every paragraph"):
        diffs.apply_body_diff(f"{ALPHA}\n\n{BETA}\n\n{GAMMA}", diff["body"])
    with pytest.raises(ValueError, match="malformed"):
        diffs.apply_body_diff(ALPHA, {"paragraphs": [{"op": "equal"}]})


# -- metadata examples ------------------------------------------------------------------


def test_unchanged_documents_have_no_changes() -> None:
    diff = diffs.diff_documents(doc(body=ALPHA), doc(body=ALPHA))

    assert diff["fields"] == []
    assert [op["op"] for op in diff["body"]["paragraphs"]] == ["equal"]
    assert set(diff["stats"].values()) == {0}
    assert diffs.summarize(diff) == "No change"


def test_headline_change_has_word_ops() -> None:
    diff = diffs.diff_documents(doc(), doc(headline="Council rejects harbour plan"))

    (field,) = diff["fields"]
    assert field["field"] == "headline"
    assert field["old"] == "Council approves harbour plan"
    assert [w for w in field["words"] if w["op"] != "equal"] == [
        {"op": "delete", "text": "approves"},
        {"op": "insert", "text": "rejects"},
    ]
    assert diff["stats"]["words_added"] == diff["stats"]["words_removed"] == 1


def test_dateline_city_change_is_a_part_change() -> None:
    diff = diffs.diff_documents(
        doc(), doc(dateline={"city": "Southampton", "country": "UK", "agency": "AP"})
    )

    (field,) = diff["fields"]
    assert field["field"] == "dateline"
    assert field["changes"] == [
        {"part": "city", "old": "Portsmouth", "new": "Southampton"},
        {"part": "agency", "old": None, "new": "AP"},
    ]
    removed = diffs.diff_documents(doc(), doc(dateline=None))["fields"][0]
    assert removed["new"] is None
    assert [c["part"] for c in removed["changes"]] == ["city", "country"]


def test_co_author_added_and_bylines_reordered() -> None:
    ann = {"name": "Ann Writer", "role": "staff"}
    bob = {"name": "Bob Stringer", "affiliation": "Harbour Herald"}
    cat = {"name": "Cat Lensman", "role": "photographer"}
    diff = diffs.diff_documents(
        doc(bylines=[ann, bob]),
        doc(bylines=[bob | {"affiliation": "Reuters"}, ann, cat]),
    )

    (field,) = diff["fields"]
    assert field["field"] == "bylines"
    changes = field["changes"]
    assert {"op": "insert", "index": 2, "byline": cat} in changes
    assert [c for c in changes if c["op"] == "move"] in (
        [{"op": "move", "name": "Bob Stringer", "from": 1, "to": 0}],
        [{"op": "move", "name": "Ann Writer", "from": 0, "to": 1}],
    )
    assert {
        "op": "change",
        "index": 0,
        "name": "Bob Stringer",
        "part": "affiliation",
        "old": "Harbour Herald",
        "new": "Reuters",
    } in changes
    assert not [c for c in changes if c["op"] == "delete"]


def test_keywords_added_removed_and_reordered() -> None:
    diff = diffs.diff_documents(doc(), doc(keywords=["council", "ferries", "budget"]))
    (field,) = diff["fields"]
    assert (field["added"], field["removed"], field["reordered"]) == (
        ["ferries", "budget"],
        ["harbour"],
        False,
    )

    reordered = diffs.diff_documents(doc(), doc(keywords=["council", "harbour"]))["fields"][0]
    assert (reordered["added"], reordered["removed"], reordered["reordered"]) == ([], [], True)


def test_plain_fields_in_document_order() -> None:
    diff = diffs.diff_documents(
        doc(), doc(language="fr", section=None, slug="plan", deck="A new deck")
    )

    assert [f["field"] for f in diff["fields"]] == ["deck", "slug", "section", "language"]
    assert diff["fields"][2] == {"field": "section", "old": "local", "new": None}
    assert side(diff["fields"][0]["words"], "insert") == "A new deck"


# -- rendering --------------------------------------------------------------------------


def full_diff() -> dict[str, Any]:
    return diffs.diff_documents(
        doc(body="\n\n".join([ALPHA, BETA, GAMMA])),
        doc(
            headline="Council <script>alert('x')</script> plan",
            dateline={"city": "Southampton", "country": "UK"},
            keywords=["harbour", "<b>bold</b>"],
            bylines=[{"name": "Ann Writer", "role": "staff"}, {"name": "Eve & Co"}],
            body="\n\n".join(
                [ALPHA, GAMMA, "<script>alert(1)</script> & more", BETA.replace("noise", "dust")]
            ),
        ),
    )


def test_html_is_escaped_and_has_only_class_attributes() -> None:
    out = diffs.render_html(full_diff())

    assert "<script>" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in out
    assert "<ins>&lt;b&gt;bold&lt;/b&gt;</ins>" in out
    assert "Eve &amp; Co" in out
    for tag in re.findall(r"<[^/][^>]*>", out):
        assert re.fullmatch(r'<(div|p|span|ins|del|ul|li)( class="[\w -]+")?>', tag), tag
    assert "<del>noise</del><ins>dust</ins>" in out


def test_text_is_a_unified_style_diff() -> None:
    diff = full_diff()
    out = diffs.render_text(diff, "revision 1", "revision 2")

    lines = out.splitlines()
    assert lines[:2] == ["--- revision 1", "+++ revision 2"]
    assert "@@ headline @@" in lines
    assert "-Council approves harbour plan" in lines
    assert "-city: Portsmouth" in lines
    assert "+city: Southampton" in lines
    assert "+<b>bold</b>" in lines
    assert "+<script>alert(1)</script> & more" in lines
    assert f"-{BETA}" in lines
    assert f"+{BETA.replace('noise', 'dust')}" in lines
    assert any(line.startswith("@@ paragraph") for line in lines)
    control = diffs.diff_documents(doc(), doc(headline="Bell\x1b[31m\x07"))
    assert "+Bell\\x1b[31m\\x07" in diffs.render_text(control, "a", "b")


def test_summary_names_fields_and_counts_body_words() -> None:
    diff = diffs.diff_documents(
        doc(body="\n\n".join([ALPHA, BETA, GAMMA])),
        doc(
            headline="Council rejects harbour plan",
            dateline={"city": "Southampton"},
            body="\n\n".join([ALPHA, BETA.replace("traffic", "heavy lorries"), DELTA]),
        ),
    )

    assert diffs.summarize(diff) == "headline, dateline; body +10 \u221212 words in 3 paragraphs"
    moved = body_diff(f"{ALPHA}\n\n{BETA}\n\n{GAMMA}", f"{BETA}\n\n{GAMMA}\n\n{ALPHA}")
    assert diffs.summarize(moved) == "body 1 paragraph moved"


def recounted_words(diff: dict[str, Any]) -> tuple[int, int]:
    """The body's words added and removed, counted from its ops' text tokenized again."""
    counts = {"insert": 0, "delete": 0}
    for op in diff["body"]["paragraphs"]:
        texts = [(op["op"], op["text"])] if op["op"] in counts else []
        texts += [(word["op"], word["text"]) for word in op.get("words", ())]
        for kind, text in texts:
            if kind in counts:
                counts[kind] += count_words(diffs.tokenize(text))
    return counts["insert"], counts["delete"]


@pytest.mark.parametrize("name", ENGINES)
@PROPERTY
@given(data=st.data())
def test_the_summary_counts_the_body_words_its_ops_hold(name: str, data: st.DataObject) -> None:
    # The summary takes the body's counts from the diff's stats (less headline and deck):
    # they must be what the ops' own text holds, whatever the text.
    text = st.text(max_size=120) | paragraph
    old_body = data.draw(st.text(max_size=200) | bodies(), label="old body")
    new_body = data.draw(edited(old_body) | st.text(max_size=200) | bodies(), label="new body")
    old = doc(headline=data.draw(text, label="old headline"), deck=data.draw(text), body=old_body)
    new = doc(headline=data.draw(text, label="new headline"), deck=data.draw(text), body=new_body)
    with engine(name):
        diff = diffs.diff_documents(old, new)

    added, removed = recounted_words(diff)
    ops = diff["body"]["paragraphs"]
    touched = any(op["op"] in ("insert", "delete") or "words" in op for op in ops)
    assert (f"body +{added} \u2212{removed} words in " in diffs.summarize(diff)) == touched


# -- blame ------------------------------------------------------------------------------


def test_blame_attributes_each_paragraph_to_its_last_change() -> None:
    revisions = [
        (1, "ann", f"{ALPHA}\n\n{BETA}"),
        (2, "bob", f"{ALPHA}\n\n{BETA}\n\n{GAMMA}"),
        (3, "cat", f"{GAMMA}\n\n{ALPHA}\n\n{BETA.replace('traffic', 'parking')}"),
        (4, "dan", f"{GAMMA}\n\n{ALPHA}\n\n{BETA.replace('traffic', 'parking')}\n\n{DELTA}"),
    ]

    assert diffs.blame(revisions) == [
        {"index": 0, "text": GAMMA, "revision": 2, "author": "bob"},
        {"index": 1, "text": ALPHA, "revision": 1, "author": "ann"},
        {"index": 2, "text": BETA.replace("traffic", "parking"), "revision": 3, "author": "cat"},
        {"index": 3, "text": DELTA, "revision": 4, "author": "dan"},
    ]
    assert diffs.blame([]) == []
    assert diffs.blame([(1, "ann", "")]) == []


# -- merge ------------------------------------------------------------------------------


BASE_BODY = "\n\n".join([ALPHA, BETA, GAMMA])


def test_merge_takes_changes_to_different_fields() -> None:
    merged, conflicts = diffs.merge_documents(
        doc(body=BASE_BODY), doc(headline="New headline", body=BASE_BODY), doc(section="sport")
    )

    assert conflicts == []
    assert merged == doc(headline="New headline", section="sport", body=BASE_BODY) | {"body": ""}


def test_merge_combines_edits_to_different_paragraphs() -> None:
    theirs = "\n\n".join([ALPHA.replace("Tuesday", "Monday"), BETA, GAMMA, DELTA])
    yours = "\n\n".join([ALPHA, BETA.replace("noise", "dust"), GAMMA])

    merged, conflicts = diffs.merge_documents(
        doc(body=BASE_BODY), doc(body=theirs), doc(body=yours)
    )

    assert conflicts == []
    assert merged["body"] == "\n\n".join(
        [ALPHA.replace("Tuesday", "Monday"), BETA.replace("noise", "dust"), GAMMA, DELTA]
    )


def test_merge_reports_a_conflict_for_the_same_paragraph() -> None:
    theirs = BASE_BODY.replace("noise", "dust")
    yours = BASE_BODY.replace("noise", "smell")

    merged, conflicts = diffs.merge_documents(
        doc(body=BASE_BODY), doc(body=theirs), doc(body=yours)
    )

    assert conflicts == [
        {
            "field": "body",
            "paragraph": 1,
            "base": BETA,
            "theirs": BETA.replace("noise", "dust"),
            "yours": BETA.replace("noise", "smell"),
        }
    ]
    assert merged["body"] == BASE_BODY


def test_merge_reports_a_conflict_for_insertions_at_the_same_place() -> None:
    theirs = "\n\n".join([ALPHA, BETA, "Theirs.", GAMMA])
    yours = "\n\n".join([ALPHA, BETA, "Yours.", GAMMA])

    _, conflicts = diffs.merge_documents(doc(body=BASE_BODY), doc(body=theirs), doc(body=yours))

    assert conflicts == [
        {"field": "body", "paragraph": 2, "base": "", "theirs": "Theirs.", "yours": "Yours."}
    ]


def test_merge_reports_a_conflict_for_the_same_field() -> None:
    merged, conflicts = diffs.merge_documents(
        doc(), doc(headline="Theirs"), doc(headline="Yours", section="sport")
    )

    assert conflicts == [
        {
            "field": "headline",
            "base": "Council approves harbour plan",
            "theirs": "Theirs",
            "yours": "Yours",
        }
    ]
    assert merged["section"] == "sport"


def test_merge_accepts_identical_changes() -> None:
    body = "\n\n".join([ALPHA, BETA.replace("noise", "dust"), GAMMA, DELTA])
    theirs = doc(headline="Same", keywords=["a"], body=body)
    yours = doc(headline="Same", keywords=["a"], body=body)

    merged, conflicts = diffs.merge_documents(doc(body=BASE_BODY), theirs, yours)
    assert (merged, conflicts) == (yours, [])

    # The same edit next to different ones still merges.
    theirs_body = body.replace("Tuesday", "Monday")
    yours_body = body.replace("month", "week")
    merged, conflicts = diffs.merge_documents(
        doc(body=BASE_BODY), doc(body=theirs_body), doc(body=yours_body)
    )
    assert conflicts == []
    assert merged["body"] == body.replace("Tuesday", "Monday").replace("month", "week")


@PROPERTY
@given(data=st.data())
def test_merge_combines_edits_to_different_paragraphs_of_any_body(data: st.DataObject) -> None:
    paragraphs = [
        f"P{k} {text}" for k, text in enumerate(data.draw(st.lists(paragraph, min_size=1)))
    ]
    mine = data.draw(st.sets(st.sampled_from(range(len(paragraphs)))), label="theirs")
    other = data.draw(
        st.sets(st.sampled_from([k for k in range(len(paragraphs)) if k not in mine] or [None])),
        label="yours",
    )
    theirs = [f"{text} — by them" if k in mine else text for k, text in enumerate(paragraphs)]
    yours = [f"{text} 👍 mine" if k in other else text for k, text in enumerate(paragraphs)]
    both = [
        f"{text} — by them" if k in mine else f"{text} 👍 mine" if k in other else text
        for k, text in enumerate(paragraphs)
    ]

    merged, conflicts = diffs.merge_documents(
        doc(body="\n\n".join(paragraphs)),
        doc(body="\n\n".join(theirs)),
        doc(body="\n\n".join(yours)),
    )

    assert conflicts == []
    assert merged["body"] == "\n\n".join(both)


@PROPERTY
@given(data=st.data())
def test_merge_of_random_edits_is_consistent(data: st.DataObject) -> None:
    base = data.draw(bodies(), label="base")
    theirs = data.draw(edited(base), label="theirs")
    yours = data.draw(edited(base), label="yours")

    merged, conflicts = diffs.merge_documents(doc(body=base), doc(body=theirs), doc(body=yours))
    swapped, swapped_conflicts = diffs.merge_documents(
        doc(body=base), doc(body=yours), doc(body=theirs)
    )

    assert len(conflicts) == len(swapped_conflicts)
    if not conflicts:
        assert merged["body"] == swapped["body"]
    assert diffs.merge_documents(doc(body=base), doc(body=theirs), doc(body=base)) == (
        doc(body=theirs),
        [],
    )
    assert diffs.merge_documents(doc(body=base), doc(body=yours), doc(body=yours))[1] == []
    paragraphs, _ = diffs.split_paragraphs(base)
    assert all(0 <= c["paragraph"] <= len(paragraphs) for c in conflicts)


def test_canonical_documents_diff() -> None:
    old = Document(headline="Harbour plan", slug="harbour-plan", body=ALPHA)
    new = old.replace(bylines=[{"name": "Ann Writer"}], body=f"{ALPHA}\n\n{BETA}")

    diff = diffs.diff_documents(old.canonical(), new.canonical())

    assert [f["field"] for f in diff["fields"]] == ["bylines"]
    assert diffs.apply_body_diff(old.body, diff["body"]) == new.body


def test_merge_keeping_theirs_on_conflict_takes_yours_only_where_theirs_did_not_change():
    base = {"headline": "Storm", "deck": "Old", "body": "One\n\nTwo\n\nThree"}
    theirs = {"headline": "Storm hits", "deck": "Old", "body": "One, edited\n\nTwo\n\nThree"}
    yours = {"headline": "Big storm", "deck": "New", "body": "One, rewritten\n\nTwo\n\nThree!"}

    merged, conflicts = diffs.merge_documents(base, theirs, yours, keep_theirs=True)

    assert merged["headline"] == "Storm hits"
    assert merged["deck"] == "New"
    assert merged["body"] == "One, edited\n\nTwo\n\nThree!"
    assert [(c["field"], c.get("paragraph")) for c in conflicts] == [
        ("headline", None),
        ("body", 0),
    ]
