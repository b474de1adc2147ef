"""Turn raw wire copy (agency or scraped text) into a structured draft.

Pure: no database, no Flask. :func:`parse` normalises the text, splits it into
lines, then runs the recognisers of :data:`RECOGNISERS` in order. Each one looks
for one format and claims the lines it understands (a stamp, a byline, a
dateline …); whatever nobody claims is the body. Adding a format means adding
one recogniser function to the table, and fixtures to the tests; nothing else.

Choices worth knowing:

* Numeric stamp dates are read US style (``07/27/2016`` is July 27) unless the
  first number cannot be a month.
* A dateline date without a year (Reuters' ``LONDON, March 2 (Reuters) -``)
  takes the year of the stamp, or the year before when that would put the
  story after its own update. With no dated stamp the date is left out and a
  warning says so: years found in the body usually belong to other events.
* Paragraphs: if the body has blank lines between paragraphs, each block is one
  paragraph and its lines (hard-wrapped agency copy) are joined with a space;
  if it has none, each line is a paragraph (scraped copy).

The rooms: :mod:`.story` (:class:`ParsedStory` and :func:`parse`),
:mod:`.recognisers` (the table, boilerplate, source id, headline),
:mod:`.stamps`, :mod:`.bylines` and :mod:`.datelines` (one family of formats
each), on top of :mod:`.text` (cleanup, casing, pattern pieces) and
:mod:`.draft` (the working state the recognisers fill in).
"""

from cms.ingest.parser.recognisers import RECOGNISERS
from cms.ingest.parser.story import ParsedStory, parse

__all__ = ["RECOGNISERS", "ParsedStory", "parse"]
