"""The working state of one parse: the lines of the copy and what has been found so far.

Recognisers read a :class:`Draft` and fill it in: they claim the lines they
understand and set the fields they found. :data:`Recogniser` is their type.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field


@dataclass
class Line:
    """One non-blank line of normalised copy."""

    text: str
    #: Index of the blank-line-separated block the line belongs to.
    block: int
    #: Whether a recogniser has taken the line out of the body.
    claimed: bool = False


@dataclass
class Draft:
    """The working state that the recognisers read and fill in."""

    lines: list[Line]
    headline: str | None = None
    dateline: dict[str, str] | None = None
    #: Index of the line the dateline opens (the first body paragraph), once found.
    body_start: int | None = None
    bylines: list[dict[str, str]] = field(default_factory=list)
    stamp: dict[str, str] | None = None
    dropped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    source_id: str | None = None

    def open_lines(self) -> Iterator[tuple[int, Line]]:
        """Yield ``(index, line)`` for every line no recogniser has claimed."""
        return ((index, line) for index, line in enumerate(self.lines) if not line.claimed)

    def add_byline(self, byline: dict[str, str]) -> None:
        """Append ``byline`` unless the same person in the same role is already listed."""
        if byline not in self.bylines:
            self.bylines.append(byline)


#: A recogniser looks for one format in the draft, claims what it understands
#: and returns whether it found anything.
Recogniser = Callable[[Draft], bool]
