"""The review rendering of diffs: context, labelled sides, moves, metadata as readers see it."""

from __future__ import annotations

import re

import pytest

from cms.articles.diffs import diff_documents
from cms.articles.diffs.review import Side, render_review
from tests import factories

PARAGRAPHS = [f"Paragraph {n} says something about item {n}." for n in range(1, 13)]
OLD = {
    "headline": "Port <strike> halts traffic",
    "deck": None,
    "slug": "port-strike",
    "dateline": {"city": "Koper", "country": "Slovenia", "agency": "Newsroom Wire"},
    "bylines": [{"name": "Tomas Rivera", "affiliation": "Newsroom Wire"}],
    "section": "business",
    "keywords": ["ports"],
    "language": "en",
    "body": "\n\n".join(PARAGRAPHS),
}


def _new(**changes):
    return {**OLD, **changes}


def _moved_and_edited() -> str:
    paragraphs = list(PARAGRAPHS)
    paragraphs.insert(1, paragraphs.pop(9))  # paragraph 10 becomes paragraph 2
    paragraphs[5] = paragraphs[5].replace("something", "nothing")
    return "\n\n".join(paragraphs)


def _render(new, **options):
    return render_review(diff_documents(OLD, new), OLD, new, **options)


def _text(fragment: str) -> str:
    return re.sub(r"<[^>]+>", "", fragment)


def test_a_moved_paragraph_is_marked_at_its_old_and_its_new_place():
    html = _render(_new(body=_moved_and_edited()), context=0)

    new_place = html.index("Paragraph moved here from paragraph 10")
    old_place = html.index("Paragraph moved from here to paragraph 2")
    assert new_place < old_place  # the new place comes early, the old one late
    assert 'class="diff-block diff-moved-from" data-old="10"' in html
    assert 'class="diff-block diff-move" data-old="10" data-new="2"' in html


def test_unchanged_runs_are_collapsed_beyond_the_context():
    html = _render(_new(body=_moved_and_edited()), context=1)

    summaries = re.findall(r"<summary>(\d+) unchanged paragraphs</summary>", html)
    body = html.split('<section class="diff-body">')[1]
    shown = re.findall(r'<p class="diff-equal"[^>]*>', body.split("<details")[0])
    # Every paragraph is in the fragment, collapsed or not, so the desk can open the runs.
    assert all(f"Paragraph {n} says" in html for n in range(1, 13))
    assert summaries
    assert len(re.findall(r'<p class="diff-equal"', html)) == 10  # 12 less the two changed
    assert shown  # context around the first change stays visible

    whole = _render(_new(body=_moved_and_edited()), context=50)
    assert '<details class="diff-collapsed">' not in whole


def test_a_single_unchanged_paragraph_is_never_collapsed():
    body = "\n\n".join([*PARAGRAPHS[:3], "Changed.", *PARAGRAPHS[4:5]])
    new = _new(body=body)
    html = render_review(diff_documents(_new(body="\n\n".join(PARAGRAPHS[:5])), new),
                         _new(body="\n\n".join(PARAGRAPHS[:5])), new, context=1)  # fmt: skip
    assert re.findall(r"<summary>(\d+) unchanged paragraphs</summary>", html) == ["2"]


def test_metadata_reads_as_readers_see_it_and_only_changed_fields_are_listed():
    new = _new(dateline={**OLD["dateline"], "agency": "Reuters"}, section="world")
    html = _render(new)

    changed, _, unchanged = html.partition('<details class="diff-all-fields">')
    dateline = re.search(r'diff-field-dateline diff-changed">(.*?)</div>', changed).group(1)
    assert _text(dateline).replace("[deleted: ", "").replace("[inserted: ", "") == (
        "DatelineKOPER, Slovenia (\N{MINUS SIGN}Newsroom Wire]+Reuters]) —"
    )
    assert "agency" not in changed
    assert "Metadata: 2 fields changed" in changed
    assert "diff-field-headline" not in changed
    assert "Show all fields (6 unchanged)" in unchanged
    assert "By Tomas Rivera, Newsroom Wire" in unchanged


def test_changes_are_marked_by_more_than_colour():
    html = _render(_new(body=_moved_and_edited()))

    assert (
        '<del><span class="diff-sign" aria-hidden="true">\N{MINUS SIGN}</span>'
        '<span class="visually-hidden">[deleted: </span>something'
    ) in html
    assert '<span class="visually-hidden">[inserted: </span>nothing' in html


def test_sides_are_labelled_and_every_text_is_escaped():
    sides = (Side(1, "Tomas <Rivera>", "Nov. 30, 2026, 2:02 p.m. EST", "First <take>"),
             Side(2, "Maria Lopez", "Nov. 30, 2026, 2:10 p.m. EST"))  # fmt: skip
    html = _render(_new(headline="Port strike & more"), sides=sides)

    assert "<strong>Old: revision 1</strong>" in html
    assert "Tomas &lt;Rivera&gt;" in html
    assert '<q class="diff-side-message">First &lt;take&gt;</q>' in html
    assert "<strong>New: revision 2</strong>" in html
    assert "<strike>" not in html
    assert "&amp; more" in html


def test_side_by_side_puts_each_side_in_its_own_cell():
    html = _render(_new(body=_moved_and_edited()), layout="side-by-side", context=0)

    row = re.search(r'<div class="diff-row diff-change">(.*?)</div></div>', html).group(1)
    old_cell, new_cell = row.split('<div class="diff-cell diff-cell-new"')
    assert "something" in old_cell
    assert "nothing" not in old_cell
    assert "nothing" in new_cell
    assert "Paragraph 10 moved to paragraph 2" in html


@pytest.mark.parametrize("options", [{"layout": "columns"}, {"context": -1}])
def test_bad_options_are_refused(options):
    with pytest.raises(ValueError, match=r"layout|context"):
        _render(OLD, **options)


def test_the_api_gives_the_review_rendering_on_request(client, reporter, editor):
    article = factories.article(reporter, body=OLD["body"], dateline=OLD["dateline"])
    headers = factories.auth(reporter)
    edited = client.patch(
        f"/api/v1/articles/{article.id}",
        json={"body": _moved_and_edited(), "message": "Move the quote up"},
        headers={**headers, "If-Match": article.etag},
    )
    assert edited.status_code == 200
    url = f"/api/v1/articles/{article.id}/diff?from=1&to=2&format=html"

    plain = client.get(url, headers=headers)
    review = client.get(url + "&layout=side-by-side&context=1", headers=headers)
    inline = client.get(url + "&context=0", headers=headers)
    bad = client.get(url + "&layout=columns&context=99", headers=headers)

    assert plain.status_code == 200
    assert "diff-review" not in plain.text  # the fragment as it was, unless asked
    assert review.status_code == 200
    assert review.mimetype == "text/html"
    assert 'class="diff diff-review diff-side-by-side"' in review.text
    assert '<strong>New: revision 2</strong>, <span class="diff-side-author">Rita Reporter' in (
        review.text
    )
    assert "Move the quote up" in review.text
    assert " EST</span>" in review.text  # in the newsroom's zone (America/New_York)
    assert 'class="diff diff-review diff-inline"' in inline.text
    assert bad.status_code == 422
    assert set(bad.json["errors"]["query"]) == {"layout", "context"}
