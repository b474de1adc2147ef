"""Renderings of a document diff for people: an HTML fragment, unified text and one line.

Each takes the data of :func:`cms.articles.diffs.documents.diff_documents` and
only reads it. The HTML escapes all text and uses no attribute but ``class``;
the text form escapes control characters so that it is safe for a terminal.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Iterable, Mapping
from typing import Any

from cms.articles.diffs.engine import side_text
from cms.articles.diffs.tokens import count_words, tokenize

_SIDES = {"delete": "-", "insert": "+"}
_MINUS = "\u2212"


def _html_words(words: Iterable[Mapping[str, str]]) -> str:
    tags = {"insert": "ins", "delete": "del"}
    out = []
    for word in words:
        text = html.escape(word["text"])
        tag = tags.get(word["op"])
        out.append(f"<{tag}>{text}</{tag}>" if tag else text)
    return "".join(out)


def _html_change(old: Any, new: Any) -> str:
    out = []
    if old not in (None, ""):
        out.append(f"<del>{html.escape(_display(old))}</del>")
    if new not in (None, ""):
        out.append(f"<ins>{html.escape(_display(new))}</ins>")
    return " ".join(out)


def _display(value: Any) -> str:
    """Return a metadata value as one line of text."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        name = value.get("name")
        rest = [str(v) for k, v in value.items() if k != "name" and v]
        if name is not None:
            return f"{name} ({', '.join(rest)})" if rest else str(name)
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(map(_display, value))
    return str(value)


def _html_field(entry: Mapping[str, Any]) -> str:
    name = entry["field"]
    label = f'<span class="diff-label">{html.escape(name)}</span> '
    if "words" in entry:
        content = f'<span class="diff-words">{_html_words(entry["words"])}</span>'
    elif name == "dateline":
        content = "".join(
            f'<span class="diff-part"><span class="diff-label">{html.escape(c["part"])}</span> '
            f"{_html_change(c['old'], c['new'])}</span>"
            for c in entry["changes"]
        )
    elif name == "bylines":
        items = []
        for change in entry["changes"]:
            op = change["op"]
            if op == "insert":
                text = _html_change(None, change["byline"])
            elif op == "delete":
                text = _html_change(change["byline"], None)
            elif op == "move":
                text = html.escape(
                    f"{change['name']}: moved from {change['from'] + 1} to {change['to'] + 1}"
                )
            else:
                text = html.escape(f"{change['name']}, {change['part']}: ") + _html_change(
                    change["old"], change["new"]
                )
            items.append(f'<li class="diff-{op}">{text}</li>')
        content = f'<ul class="diff-changes">{"".join(items)}</ul>'
    elif name == "keywords":
        marks = [f"<del>{html.escape(k)}</del>" for k in entry["removed"]]
        marks += [f"<ins>{html.escape(k)}</ins>" for k in entry["added"]]
        if entry.get("reordered"):
            marks.append('<span class="diff-note">reordered</span>')
        content = " ".join(marks)
    else:
        content = _html_change(entry["old"], entry["new"])
    return f'<div class="diff-field diff-field-{html.escape(name)}">{label}{content}</div>'


def _html_paragraph(op: Mapping[str, Any]) -> str:
    kind = op["op"]
    if kind == "insert":
        content = f"<ins>{html.escape(op['text'])}</ins>"
    elif kind == "delete":
        content = f"<del>{html.escape(op['text'])}</del>"
    elif "words" in op:
        content = _html_words(op["words"])
    else:
        content = html.escape(op.get("text", ""))
    if kind == "move":
        note = f"moved from paragraph {op['old_index'] + 1}"
        content = f'<span class="diff-note">{note}</span> {content}'
    return f'<p class="diff-{kind}">{content}</p>'


def render_html(diff: Mapping[str, Any]) -> str:
    """Return a diff from :func:`diff_documents` as a safe HTML fragment.

    Each field and paragraph is a block with ``<ins>``/``<del>`` marks; all
    text is escaped and the only attribute is ``class``. Runs of unchanged
    paragraphs are shown as a count, since the diff does not carry their text.
    """
    parts = ['<div class="diff">']
    parts += [_html_field(entry) for entry in diff["fields"]]
    parts.append('<div class="diff-body">')
    for kind, run in itertools.groupby(diff["body"]["paragraphs"], lambda op: op["op"]):
        if kind == "equal":
            count = len(list(run))
            noun = "paragraph" if count == 1 else "paragraphs"
            parts.append(f'<p class="diff-unchanged">{count} unchanged {noun}</p>')
        else:
            parts += [_html_paragraph(op) for op in run]
    parts.append("</div></div>")
    return "\n".join(parts)


# C0 and C1 control characters (but tab and line feed) could drive a terminal.
_TERMINAL_SAFE = {
    cp: f"\\x{cp:02x}" for cp in (*range(0x20), *range(0x7F, 0xA0)) if cp not in (0x09, 0x0A)
}


def _lines(prefix: str, text: Any) -> list[str]:
    if text is None:
        return []
    return [prefix + line for line in str(text).translate(_TERMINAL_SAFE).split("\n")]


def render_text(diff: Mapping[str, Any], old_label: str, new_label: str) -> str:
    """Return a diff from :func:`diff_documents` as unified-diff style text.

    Metadata fields come first (``@@ headline @@`` with ``-``/``+`` lines),
    then one hunk per changed paragraph, numbered from 1. Control characters
    are shown escaped so the text is safe for a terminal.
    """
    lines = [f"--- {old_label}", f"+++ {new_label}"]
    for entry in diff["fields"]:
        name = entry["field"]
        lines.append(f"@@ {name} @@")
        if name == "dateline":
            for change in entry["changes"]:
                lines += _lines(f"-{change['part']}: ", change["old"])
                lines += _lines(f"+{change['part']}: ", change["new"])
        elif name == "bylines":
            for change in entry["changes"]:
                op = change["op"]
                if op in ("delete", "insert"):
                    lines += _lines(_SIDES[op], _display(change["byline"]))
                elif op == "move":
                    lines += _lines(
                        " ", f"{change['name']}: moved {change['from'] + 1} -> {change['to'] + 1}"
                    )
                else:
                    label = f"{change['name']}, {change['part']}: "
                    lines += _lines(f"-{label}", change["old"])
                    lines += _lines(f"+{label}", change["new"])
        elif name == "keywords":
            lines += [line for k in entry["removed"] for line in _lines("-", k)]
            lines += [line for k in entry["added"] for line in _lines("+", k)]
            if entry.get("reordered"):
                lines += _lines(" ", "(reordered) " + ", ".join(entry["new"]))
        else:
            lines += _lines("-", entry["old"])
            lines += _lines("+", entry["new"])
    for op in diff["body"]["paragraphs"]:
        kind = op["op"]
        if kind == "equal":
            continue
        if kind == "insert":
            lines.append(f"@@ paragraph +{op['new_index'] + 1} @@")
            lines += _lines("+", op["text"])
            continue
        if kind == "delete":
            lines.append(f"@@ paragraph -{op['old_index'] + 1} @@")
            lines += _lines("-", op["text"])
            continue
        what = "moved paragraph" if kind == "move" else "paragraph"
        lines.append(f"@@ {what} -{op['old_index'] + 1} +{op['new_index'] + 1} @@")
        if "words" in op:
            lines += _lines("-", side_text(op["words"], "delete"))
            lines += _lines("+", side_text(op["words"], "insert"))
        else:
            lines += _lines(" ", op.get("text", ""))
    return "\n".join(lines) + "\n"


def summarize(diff: Mapping[str, Any]) -> str:
    """Return a diff as one line, like ``headline; body +12 -3 words in 2 paragraphs``.

    The minus is a real minus sign (U+2212). Word counts are those of the body
    alone; ``No change`` when nothing changed.
    """
    fields = ", ".join(entry["field"] for entry in diff["fields"])
    # The diff's own counts, less the headline's and the deck's: the body's, without
    # tokenizing its changed paragraphs again (a whole rewritten body, for a rewrite).
    added, removed = diff["stats"]["words_added"], diff["stats"]["words_removed"]
    for entry in diff["fields"]:
        for word in entry.get("words", ()):
            if word["op"] == "insert":
                added -= count_words(tokenize(word["text"]))
            elif word["op"] == "delete":
                removed -= count_words(tokenize(word["text"]))
    touched = moved = 0
    for op in diff["body"]["paragraphs"]:
        if op["op"] in ("insert", "delete") or "words" in op:
            touched += 1
        elif op["op"] == "move":
            moved += 1
    body = []
    if touched:
        noun = "paragraph" if touched == 1 else "paragraphs"
        body.append(f"+{added} {_MINUS}{removed} words in {touched} {noun}")
    if moved:
        body.append(f"{moved} {'paragraph' if moved == 1 else 'paragraphs'} moved")
    if not body and diff["body"].get("changed"):
        body.append("spacing")
    summary = "; ".join(
        part for part in (fields, "body " + ", ".join(body) if body else "") if part
    )
    return summary or "No change"
