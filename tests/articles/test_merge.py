"""Tests of blame and of the three-way merge of article revisions."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cms.articles import diffs
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
