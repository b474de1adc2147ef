"""The review rendering of a document diff: the HTML fragment the review desk shows.

Where :func:`cms.articles.diffs.render.render_html` gives the changes alone,
this one gives them as an editor reviews them: each side labelled (revision,
author, time, message); metadata as readers see it (the rendered dateline and
byline, compared word by word); a few paragraphs of context around each
change with longer unchanged runs collapsed in a ``<details>`` that opens;
a moved paragraph marked at its old place as well as its new one; inline or
side by side. Every insertion and deletion carries a plus or minus sign and
visually hidden words (``inserted``, ``deleted``), so nothing is told by
colour alone.

Pure: it reads the diff of :func:`~cms.articles.diffs.documents.diff_documents`
and the two documents it was made from. All text is escaped; the attributes
are ``class``, ``aria-hidden`` and ``data-old``/``data-new`` (paragraph
numbers, from 1).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cms.articles.diffs.documents import METADATA_FIELDS
from cms.articles.diffs.engine import word_diff
from cms.articles.diffs.paragraphs import split_paragraphs
from cms.articles.diffs.render import _display
from cms.articles.diffs.tokens import tokenize
from cms.articles.rendering import byline_text, dateline_text

#: How the two sides are laid out.
LAYOUTS = ("inline", "side-by-side")
#: Unchanged paragraphs shown around a change when the caller does not say.
DEFAULT_CONTEXT = 3
_MINUS = "\u2212"
#: Field names as the desk shows them.
FIELD_LABELS = {
    "headline": "Headline",
    "deck": "Deck",
    "slug": "Slug",
    "dateline": "Dateline",
    "bylines": "Byline",
    "section": "Section",
    "keywords": "Keywords",
    "language": "Language",
}


@dataclass(frozen=True, slots=True)
class Side:
    """What labels one side of a comparison."""

    revision: int
    author: str
    #: The time, already formatted for display (the newsroom's zone).
    at: str
    message: str | None = None


def _mark(tag: str, text: str) -> str:
    """Return ``text`` as an insertion or deletion with its sign and spoken word."""
    sign, word = ("+", "inserted") if tag == "ins" else (_MINUS, "deleted")
    return (
        f'<{tag}><span class="diff-sign" aria-hidden="true">{sign}</span>'
        f'<span class="visually-hidden">[{word}: </span>{html.escape(text)}'
        f'<span class="visually-hidden">]</span></{tag}>'
    )


def _words(words: Iterable[Mapping[str, str]], keep: tuple[str, ...]) -> str:
    tags = {"insert": "ins", "delete": "del"}
    out = []
    for word in words:
        if word["op"] not in keep:
            continue
        tag = tags.get(word["op"])
        out.append(_mark(tag, word["text"]) if tag else html.escape(word["text"]))
    return "".join(out)


_BOTH = ("equal", "insert", "delete")
_OLD = ("equal", "delete")
_NEW = ("equal", "insert")


def _reader_text(name: str, value: Any) -> str:
    """Return a metadata value as a reader (or the desk) sees it."""
    if name == "dateline":
        return dateline_text(value) or ""
    if name == "bylines":
        return byline_text(value or ()) or ""
    return _display(value)


def _field_words(name: str, old: Any, new: Any) -> list[dict[str, str]]:
    ops, *_ = word_diff(tokenize(_reader_text(name, old)), tokenize(_reader_text(name, new)))
    return ops


def _side_header(side: Side, which: str) -> str:
    sign = "+" if which == "new" else _MINUS
    title = "New" if which == "new" else "Old"
    message = (
        f' <q class="diff-side-message">{html.escape(side.message)}</q>' if side.message else ""
    )
    return (
        f'<div class="diff-side diff-side-{which}">'
        f'<span class="diff-sign" aria-hidden="true">{sign}</span> '
        f"<strong>{title}: revision {side.revision}</strong>, "
        f'<span class="diff-side-author">{html.escape(side.author)}</span>, '
        f'<span class="diff-side-time">{html.escape(side.at)}</span>{message}</div>'
    )


class _Body:
    """The body's blocks in reading order, each marked changed or not."""

    def __init__(self, diff: Mapping[str, Any], old: list[str], new: list[str]) -> None:
        self.old, self.new = old, new
        self.blocks: list[tuple[bool, dict[str, Any]]] = []
        ops = diff["body"]["paragraphs"]
        self.moved = {op["old_index"]: op for op in ops if op["op"] == "move"}
        self._follow(-1)
        for op in ops:
            self.blocks.append((op["op"] != "equal", op))
            if op["op"] != "move" and "old_index" in op:
                self._follow(op["old_index"])

    def _follow(self, index: int) -> None:
        """Place the moved-from marks of the old paragraphs that came right after ``index``."""
        while index + 1 in self.moved:
            index += 1
            self.blocks.append((True, {**self.moved[index], "op": "moved-from"}))


def _paragraph_inline(op: Mapping[str, Any], old: list[str], new: list[str]) -> str:
    kind = op["op"]
    at = ""
    if "old_index" in op:
        at += f' data-old="{op["old_index"] + 1}"'
    if "new_index" in op and kind != "moved-from":
        at += f' data-new="{op["new_index"] + 1}"'
    if kind == "equal":
        return f'<p class="diff-equal"{at}>{html.escape(new[op["new_index"]])}</p>'
    if kind == "insert":
        label = "Inserted paragraph"
        content = _mark("ins", op["text"])
    elif kind == "delete":
        label = "Deleted paragraph"
        content = _mark("del", op["text"])
    elif kind == "moved-from":
        label = f"Paragraph moved from here to paragraph {op['new_index'] + 1}"
        content = f'<span class="diff-moved-text">{html.escape(old[op["old_index"]])}</span>'
    elif kind == "move":
        label = f"Paragraph moved here from paragraph {op['old_index'] + 1}"
        if "words" in op:
            label += ", and edited"
            content = _words(op["words"], _BOTH)
        else:
            content = html.escape(op["text"])
    else:
        label = "Changed paragraph"
        content = _words(op["words"], _BOTH)
    return (
        f'<div class="diff-block diff-{kind}"{at}>'
        f'<p class="diff-note">{html.escape(label)}</p><p>{content}</p></div>'
    )


def _cell(which: str, content: str | None, paragraph: int | None = None) -> str:
    if content is None:
        return f'<div class="diff-cell diff-cell-{which} diff-cell-empty"></div>'
    at = f' data-{which}="{paragraph}"' if paragraph is not None else ""
    return f'<div class="diff-cell diff-cell-{which}"{at}>{content}</div>'


def _paragraph_sides(op: Mapping[str, Any], old: list[str], new: list[str]) -> str:
    kind = op["op"]
    i: Any = op.get("old_index")
    j: Any = op.get("new_index")
    note = ""
    if kind == "equal":
        left = right = html.escape(new[j])
    elif kind == "insert":
        left, right = None, _mark("ins", op["text"])
    elif kind == "delete":
        left, right = _mark("del", op["text"]), None
    elif kind == "moved-from":
        note = f"Paragraph {i + 1} moved to paragraph {j + 1}"
        left, right = html.escape(old[i]), None
    elif kind == "move":
        note = f"Paragraph {i + 1} moved here, to paragraph {j + 1}"
        if "words" in op:
            note += ", and edited"
            left, right = _words(op["words"], _OLD), _words(op["words"], _NEW)
        else:
            left, right = None, html.escape(op["text"])
    else:
        left, right = _words(op["words"], _OLD), _words(op["words"], _NEW)
    note_html = f'<p class="diff-note">{html.escape(note)}</p>' if note else ""
    return (
        f'<div class="diff-row diff-{kind}">{note_html}'
        + _cell("old", left, None if left is None or i is None else i + 1)
        + _cell("new", right, None if right is None or kind == "moved-from" else j + 1)
        + "</div>"
    )


def _collapse(
    blocks: list[tuple[bool, dict[str, Any]]], context: int
) -> list[tuple[str, list[dict[str, Any]]]]:
    """Group blocks into shown runs and collapsed runs (two or more) of unchanged paragraphs."""
    changed = [n for n, (is_changed, _) in enumerate(blocks) if is_changed]
    shown: set[int] = set()
    for n in changed:
        shown.update(range(max(0, n - context), min(len(blocks), n + context + 1)))
    groups: list[tuple[str, list[dict[str, Any]]]] = []
    for n, (_, op) in enumerate(blocks):
        kind = "shown" if n in shown else "collapsed"
        if groups and groups[-1][0] == kind:
            groups[-1][1].append(op)
        else:
            groups.append((kind, [op]))
    # Hiding a single paragraph saves nothing.
    return [("shown" if len(run) == 1 else kind, run) for kind, run in groups]


def _metadata(
    diff: Mapping[str, Any], old_doc: Mapping[str, Any], new_doc: Mapping[str, Any], sides: bool
) -> str:
    changed = {entry["field"] for entry in diff["fields"]}
    rows_changed, rows_all = [], []
    for name in METADATA_FIELDS:
        label = html.escape(FIELD_LABELS.get(name, name))
        before, after = old_doc.get(name), new_doc.get(name)
        if name not in changed:
            text = html.escape(_reader_text(name, after)) or '<span class="diff-none">none</span>'
            rows_all.append(f'<div class="diff-field diff-field-{name}"><dt>{label}</dt>'
                            f"<dd>{text}</dd></div>")  # fmt: skip
            continue
        ops = _field_words(name, before, after)
        if sides:
            content = (
                '<div class="diff-pair">'
                + _cell("old", _words(ops, _OLD) or '<span class="diff-none">none</span>')
                + _cell("new", _words(ops, _NEW) or '<span class="diff-none">none</span>')
                + "</div>"
            )
        else:
            content = _words(ops, _BOTH)
        rows_changed.append(
            f'<div class="diff-field diff-field-{name} diff-changed"><dt>{label}</dt>'
            f"<dd>{content}</dd></div>"
        )
    if rows_changed:
        count = len(rows_changed)
        heading = f"{count} field{'s' if count != 1 else ''} changed"
        changed_html = f'<dl class="diff-fields">{"".join(rows_changed)}</dl>'
    else:
        heading, changed_html = "No field changed", ""
    unchanged = (
        '<details class="diff-all-fields"><summary>Show all fields '
        f"({len(rows_all)} unchanged)</summary>"
        f'<dl class="diff-fields">{"".join(rows_all)}</dl></details>'
        if rows_all
        else ""
    )
    return (
        f'<section class="diff-metadata"><h3 class="diff-heading">Metadata: {heading}</h3>'
        f"{changed_html}{unchanged}</section>"
    )


def render_review(
    diff: Mapping[str, Any],
    old_doc: Mapping[str, Any],
    new_doc: Mapping[str, Any],
    *,
    sides: tuple[Side, Side] | None = None,
    context: int = DEFAULT_CONTEXT,
    layout: str = "inline",
) -> str:
    """Return the diff of ``old_doc`` and ``new_doc`` as the desk's HTML fragment.

    ``diff`` is ``diff_documents(old_doc, new_doc)``; ``sides`` label the old
    and the new side; ``context`` unchanged paragraphs are shown either side
    of each change and longer runs are collapsed; ``layout`` is one of
    :data:`LAYOUTS`. Raises ``ValueError`` for an unknown layout or a negative
    context.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}")
    if context < 0:
        raise ValueError("context must not be negative")
    side_by_side = layout == "side-by-side"
    old, _ = split_paragraphs(old_doc.get("body") or "")
    new, _ = split_paragraphs(new_doc.get("body") or "")
    parts = [f'<div class="diff diff-review diff-{layout}">']
    if sides is not None:
        parts.append(
            '<div class="diff-sides">'
            + _side_header(sides[0], "old")
            + _side_header(sides[1], "new")
            + "</div>"
        )
    parts.append(_metadata(diff, old_doc, new_doc, side_by_side))
    body = _Body(diff, old, new)
    changes = sum(1 for is_changed, _ in body.blocks if is_changed)
    noun = "change" if changes == 1 else "changes"
    heading = f"{changes} {noun}" if changes else "no change"
    parts.append(f'<section class="diff-body"><h3 class="diff-heading">Body: {heading}</h3>')
    render = _paragraph_sides if side_by_side else _paragraph_inline
    for kind, run in _collapse(body.blocks, context):
        inner = "".join(render(op, old, new) for op in run)
        if kind == "shown":
            parts.append(inner)
        else:
            count = len(run)
            noun = "paragraph" if count == 1 else "paragraphs"
            parts.append(
                f'<details class="diff-collapsed"><summary>{count} unchanged {noun}</summary>'
                f"{inner}</details>"
            )
    parts.append("</section></div>")
    return "\n".join(parts)
