"""Tests of the pure diff engine for article revisions: body and field diffs, rendering."""

from __future__ import annotations

import contextlib
import itertools
import re
import unicodedata
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cms.articles import diffs
from cms.articles.content import Document
from cms.articles.diffs import engine as diff_engine
from cms.articles.diffs.tokens import count_words
from tests.articles.diff_cases import (
    ALPHA,
    BETA,
    DELTA,
    GAMMA,
    PROPERTY,
    bodies,
    doc,
    edited,
    paragraph,
)

FAST = diff_engine.fast_diff_match_patch
ENGINES = [
    pytest.param(
        "fast",
        marks=pytest.mark.skipif(FAST is None, reason="fast-diff-match-patch not installed"),
    ),
    "difflib",
]


@contextlib.contextmanager
def engine(name: str) -> Iterator[None]:
    """Run word diffs with fast-diff-match-patch (``fast``) or the difflib fallback."""
    with mock.patch.object(diff_engine, "fast_diff_match_patch", FAST if name == "fast" else None):
        yield


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


def test_canonical_documents_diff() -> None:
    old = Document(headline="Harbour plan", slug="harbour-plan", body=ALPHA)
    new = old.replace(bylines=[{"name": "Ann Writer"}], body=f"{ALPHA}\n\n{BETA}")

    diff = diffs.diff_documents(old.canonical(), new.canonical())

    assert [f["field"] for f in diff["fields"]] == ["bylines"]
    assert diffs.apply_body_diff(old.body, diff["body"]) == new.body
