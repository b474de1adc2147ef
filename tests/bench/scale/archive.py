"""The archive: a newsroom's years of stories as rows, written the way the app writes them.

:class:`Archive` plans every story from a seed of its own (so the plan of story
*i* never depends on how many stories are built) and yields the rows of
``users``, ``bodies``, ``articles``, ``revisions``, ``approvals``, ``versions``,
``delivery_events``, ``audit_entries``, ``search_documents`` and ``search_labels``
in batches. Rows hold what the operations would have stored: heads pointing at
the last revision, revisions numbered 1..n with the app's content hash and
change summary, bodies addressed by :func:`~cms.articles.content.body_digest`
with the app's rendered HTML, one approval, version, event and history entries
per publication (planned by :class:`~tests.bench.scale.publishing.Desk`),
embargo releases, kills, event ids in the order of their times (the feed's
order), and the search rows ``flask cms reindex`` would write
(:mod:`tests.bench.scale.search_rows`).

:func:`tests.bench.scale.store.load` writes the batches: PostgreSQL by ``COPY``, SQLite
by executemany, in one transaction.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table

from cms.articles import diffs
from cms.articles.content import Document, body_digest, slugify
from cms.articles.models import Article, ArticleStatus, Body, Revision, Version, VersionKind
from cms.articles.rendering import render_markdown
from cms.audit.models import AuditAction, AuditEntry
from cms.auth.models import Role, User
from cms.outbox.models import Audience, DeliveryEvent, EventKind
from cms.workflow.models import Approval
from tests.bench.scale import prose
from tests.bench.scale.publishing import Desk, approver, audit_entry, next_kind
from tests.bench.scale.search_rows import SEARCH_TABLES, BodyTexts, story_rows

#: The archive starts here; story *i* is filed about ``STORY_SPACING`` after story *i - 1*.
EPOCH = datetime(2023, 3, 1, 6, 0, tzinfo=UTC)
STORY_SPACING = timedelta(minutes=15)
#: Revisions per ordinary story (1..20) and their weights: about ten on average.
REVISION_WEIGHTS = (6, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 4, 4, 4, 6)
STATUSES = (
    (ArticleStatus.PUBLISHED, 82),
    (ArticleStatus.WITHDRAWN, 4),
    (ArticleStatus.DRAFT, 8),
    (ArticleStatus.IN_REVIEW, 4),
    (ArticleStatus.APPROVED, 2),
)
KILL_REASON = "Legal advice: the story identified a witness."
#: How many newsroom users write and edit.
REPORTERS, EDITORS = 150, 40
#: The tables written, in an order that satisfies their foreign keys.
TABLES: tuple[Table, ...] = (
    tuple(
        model.__table__  # type: ignore[attr-defined]
        for model in (User, Body, Article, Revision, Approval, Version, DeliveryEvent, AuditEntry)
    )
    + SEARCH_TABLES
)


@dataclass(frozen=True)
class Shape:
    """How big an archive is and where its long-running stories sit."""

    stories: int
    #: Revisions of each long-running story (a live story edited all day for days).
    big_revisions: int = 1000
    #: Story indices ``first_big`` and every ``big_every``-th from ``big_every // 2``
    #: are long-running.
    first_big: int = 7
    big_every: int = 5000
    #: Families of ordinary bodies; each holds a draft and ``family_length - 1`` edits.
    families: int = 300
    family_length: int = 12

    @classmethod
    def of(cls, stories: int, **changes: Any) -> Shape:
        """The shape for ``stories``: fewer body families for a small archive."""
        changes.setdefault("families", max(20, min(300, stories // 4)))
        return cls(stories=stories, **changes)

    def is_big(self, index: int) -> bool:
        if index == self.first_big:
            return True
        return index % self.big_every == self.big_every // 2


@dataclass
class Batch:
    """Rows of several tables, each a list of column dictionaries."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)

    def count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())


@dataclass
class Ids:
    """The next id of each table whose ids the archive assigns."""

    user: int
    article: int
    approval: int
    event: int


class Archive:
    """The plan of an archive of ``shape``; :meth:`batches` yields its rows."""

    def __init__(self, shape: Shape, ids: Ids, *, now: datetime | None = None) -> None:
        self.shape = shape
        self.ids = ids
        self.now = now or datetime.now(UTC)
        self.families = self._families()
        self.groups: dict[tuple[str, str], list[int]] = {}
        for number, fam in enumerate(self.families):
            self.groups.setdefault((fam.section, fam.language), []).append(number)
        #: The running story's bodies, shared by every long-running story.
        self.live = prose.live_chain(0, shape.big_revisions, phrase_between=self._phrase_span())
        self.reporters = list(range(ids.user, ids.user + REPORTERS))
        self.editors = list(range(ids.user + REPORTERS, ids.user + REPORTERS + EDITORS))
        self.names = {user: prose.person(user) for user in (*self.reporters, *self.editors)}
        self._summaries: dict[tuple[str, str], str] = {}
        self._hashes: dict[str, str] = {}
        #: Each body's plain text for the search documents, filled by :meth:`bodies`.
        self.body_texts = BodyTexts()
        self.desk = Desk(ids)
        self._slugs: dict[str, int] = {}
        #: Facts the benchmark looks up: the long-running story measured, sample ids.
        self.big_story_id = ids.article + shape.first_big
        self.counts: dict[str, int] = {}

    def _phrase_span(self) -> tuple[int, int]:
        length = self.shape.big_revisions
        return (max(2, length * 3 // 10), max(3, length * 7 // 10))

    def _families(self) -> list[prose.Family]:
        out = []
        sections = [name for name, _ in prose.SECTIONS]
        for number in range(self.shape.families):
            language = ("fr", "de", "es")[number % 3] if number % 20 >= 17 else "en"
            section = sections[number % len(sections)]
            out.append(prose.family(number, section, language, self.shape.family_length))
        return out

    # --- Reference data ----------------------------------------------------------------------

    def users(self, password_hash: str) -> list[dict[str, Any]]:
        """The newsroom's reporters and editors, all with ``password_hash``."""
        rows = []
        for user in (*self.reporters, *self.editors):
            rows.append(
                {
                    "id": user,
                    "email": f"staff{user}@newsroom.example",
                    "name": self.names[user],
                    "role": Role.REPORTER if user in self.reporters else Role.EDITOR,
                    "password_hash": password_hash,
                    "is_active": True,
                    "created_at": EPOCH - timedelta(days=30),
                }
            )
        return rows

    def bodies(self) -> Iterator[dict[str, Any]]:
        """Every distinct body once, with its hash and HTML rendered by the app's renderer."""
        done: set[str] = set()
        for fam in (*self.families, self.live):
            for markdown in fam.bodies:
                digest = self._digest(markdown)
                if digest not in done:
                    done.add(digest)
                    html = render_markdown(markdown)
                    self.body_texts.add(digest, html)
                    yield {"hash": digest, "markdown": markdown, "html": html}

    def _digest(self, markdown: str) -> str:
        digest = self._hashes.get(markdown)
        if digest is None:
            digest = self._hashes[markdown] = body_digest(markdown)
        return digest

    def plan(self, password_hash: str) -> Iterator[tuple[str, Batch]]:
        """Yield the whole archive as (phase, rows): users, bodies, then stories in batches."""
        yield "users", Batch({"users": self.users(password_hash)})
        yield "bodies (rendered once each)", Batch({"bodies": list(self.bodies())})
        for batch in self.batches():
            search = Batch({table.name: batch.rows.pop(table.name, []) for table in SEARCH_TABLES})
            yield "stories", batch
            yield "search documents", search

    # --- Stories -----------------------------------------------------------------------------

    def batches(self, stories_per_batch: int = 2000) -> Iterator[Batch]:
        """Yield the stories' rows, search rows included, ``stories_per_batch`` stories at a time.

        Raises ``KeyError`` unless :meth:`bodies` has run (the search rows need their texts).
        """
        for start in range(0, self.shape.stories, stories_per_batch):
            batch = Batch()
            stop = min(start + stories_per_batch, self.shape.stories)
            for index in range(start, stop):
                self._story(index, batch)
            horizon = self._filed_at(stop) if stop < self.shape.stories else None
            self.desk.number_events(batch, horizon)
            yield batch

    def _filed_at(self, index: int) -> datetime:
        """The earliest moment story ``index`` (and every later one) can be filed."""
        return EPOCH + index * STORY_SPACING

    def _slug(self, headline: str) -> str:
        base = slugify(headline)
        seen = self._slugs.get(base, 0) + 1
        self._slugs[base] = seen
        return base if seen == 1 else f"{base}-{seen}"

    def _summary(self, before: Document, after: Document) -> str:
        """The app's one-line summary of the change (``describe_change``), bodies cached."""
        fields = [name for name in _METADATA if getattr(before, name) != getattr(after, name)]
        key = (self._digest(before.body), self._digest(after.body))
        body = self._summaries.get(key)
        if body is None:
            plain = Document(headline="", slug="")
            body = diffs.summarize(
                diffs.diff_documents(
                    plain.replace(body=before.body).canonical(),
                    plain.replace(body=after.body).canonical(),
                )
            )
            self._summaries[key] = body
        parts = [", ".join(fields)] if fields else []
        if body != "No change":
            parts.append(body)
        return "; ".join(parts) or "No change"

    def _story(self, index: int, batch: Batch) -> None:
        rng = random.Random(f"story-{index}")
        article_id = self.ids.article + index
        big = self.shape.is_big(index)
        if big:
            language, section = "en", "world"
            bodies = self.live.bodies
            revisions = len(bodies)
            status = ArticleStatus.PUBLISHED
        else:
            language = prose.weighted(rng, prose.LANGUAGES)
            section = prose.weighted(rng, prose.SECTIONS)
            group = (
                self.groups.get((section, language))
                or [n for n, fam in enumerate(self.families) if fam.language == language]
                or list(range(len(self.families)))
            )
            bodies = self.families[rng.choice(group)].bodies
            revisions = rng.choices(range(1, 21), REVISION_WEIGHTS)[0]
            status = rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0]
        reporter = rng.choice(self.reporters)
        city, country = rng.choice(prose.CITIES)
        # Story 3, and one story in two thousand, carries a rare word in its headlines.
        rare = None
        if index == 3 or rng.random() < 0.0005:
            rare = prose.RARE_WORDS[0] if index == 3 else rng.choice(prose.RARE_WORDS)
        title = prose.headline(rng, language, rare)
        slug = self._slug(title)
        document = Document(
            headline=title,
            slug=slug,
            body=bodies[0],
            deck=prose.sentence(rng, language) if rng.random() < 0.7 else None,
            dateline={"city": city, "country": country, "agency": rng.choice(prose.AGENCIES)},
            bylines=tuple(
                {"name": self.names[user], "role": "Staff writer", "affiliation": "Newsroom Wire"}
                for user in dict.fromkeys([reporter, *self._second_byline(rng)])
            ),
            section=section,
            keywords=tuple(prose.keywords(rng)),
            language=language,
        )
        created = self._filed_at(index) + timedelta(minutes=rng.uniform(0, 14))
        published = status in (ArticleStatus.PUBLISHED, ArticleStatus.WITHDRAWN) or (
            status in (ArticleStatus.IN_REVIEW, ArticleStatus.APPROVED) and rng.random() < 0.5
        )
        # The head stays unpublished while it is in review or approved, and now and then
        # after a publication (an edit not yet sent out).
        head_unpublished = status in (ArticleStatus.IN_REVIEW, ArticleStatus.APPROVED) or (
            status == ArticleStatus.PUBLISHED and not big and rng.random() < 0.12
        )
        if head_unpublished and revisions == 1 and published:
            published = False
        first_publication = 1 if rng.random() < 0.7 or revisions == 1 else 2
        lock = 1
        at = created
        body_index = 0
        previous: Document | None = None
        live: dict[str, Any] | None = None
        version_number = 0
        last_updated = first_published = None
        window: set[int] = set()  # who wrote since the last publication
        audit = []
        # (version, revision) rows of each publication, for the search documents.
        publications: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for number in range(1, revisions + 1):
            author = reporter if rng.random() < 0.85 else rng.choice(self.editors)
            if number > 1:
                document, message = self._next(rng, document, bodies, body_index, big, rare)
                if document.body != previous.body:  # type: ignore[union-attr]
                    body_index += 1
                lock += 1
            else:
                message = None
            summary = "Created" if number == 1 else self._summary(previous, document)  # type: ignore[arg-type]
            content_hash = document.content_hash()
            batch.add(
                "revisions",
                {
                    "article_id": article_id,
                    "number": number,
                    "author_id": author,
                    "created_at": at,
                    "message": message,
                    "restored_from": None,
                    "summary": summary,
                    "content_hash": content_hash,
                    "headline": document.headline,
                    "deck": document.deck,
                    "slug": document.slug,
                    "dateline": document.dateline,
                    "bylines": list(document.bylines),
                    "section": document.section,
                    "keywords": list(document.keywords),
                    "language": document.language,
                    "body_hash": self._digest(document.body),
                },
            )
            audit.append(
                audit_entry(
                    article_id,
                    AuditAction.CREATE if number == 1 else AuditAction.EDIT,
                    author,
                    at,
                    revision_number=number,
                    reason=message,
                    details={"summary": summary, "restored_from": None},
                )
            )
            window.add(author)
            previous = document
            is_head = number == revisions
            publishable = published and number >= first_publication
            if publishable and not (is_head and head_unpublished):  # noqa: SIM102
                # Nearly every revision of a published story goes out: wires update often.
                if big or number == first_publication or is_head or rng.random() < 0.9:
                    version_number += 1
                    kind = VersionKind.FIRST if version_number == 1 else next_kind(rng, big)
                    embargo = rng.random() < 0.12 and not big
                    editor = approver(rng, self.editors, window)
                    pub = self.desk.publish(
                        batch,
                        audit,
                        article_id,
                        author,
                        editor,
                        document,
                        number,
                        content_hash,
                        version_number,
                        kind,
                        at,
                        embargo,
                        "draft" if version_number == 1 else "published",
                    )
                    publications.append((batch.rows["versions"][-1], batch.rows["revisions"][-1]))
                    lock += 3
                    live = pub
                    window = set()
                    first_published = first_published or pub["at"]
                    if kind != VersionKind.MINOR:
                        last_updated = pub["at"]
                    at = pub["ready"]
            if not is_head:
                gap = rng.uniform(2, 20) if big else rng.uniform(5, 240)
                at = at + timedelta(minutes=gap)
        final = status
        approved_revision = None
        if status in (ArticleStatus.IN_REVIEW, ArticleStatus.APPROVED):
            final = status
            audit.append(
                audit_entry(
                    article_id,
                    AuditAction.SUBMIT,
                    reporter,
                    at + timedelta(minutes=1),
                    revision_number=revisions,
                    details={"from": "published" if live else "draft"},
                )
            )
            lock += 1
            if status == ArticleStatus.APPROVED:
                editor = approver(rng, self.editors, window)
                self.desk.approval(
                    batch,
                    audit,
                    article_id,
                    revisions,
                    content_hash,
                    editor,
                    at + timedelta(minutes=3),
                )
                approved_revision = revisions
                lock += 1
        elif status == ArticleStatus.PUBLISHED and live is None:
            final = ArticleStatus.DRAFT
        withdrawn_at = reason = None
        if status == ArticleStatus.WITHDRAWN and live is not None:
            withdrawn_at = at + timedelta(hours=rng.uniform(2, 48))
            reason = KILL_REASON
            editor = rng.choice(self.editors)
            self.desk.event(
                withdrawn_at,
                {
                    "article_id": article_id,
                    "kind": EventKind.WITHDRAWN,
                    "version_number": live["version"],
                    "revision_number": live["revision"],
                    "version_kind": None,
                    "embargo_until": None,
                    "section": live["section"],
                    "slug": live["slug"],
                    "note": reason,
                    "created_at": withdrawn_at,
                    "audience": Audience.ALL,
                    "releases_id": None,
                    "lifted_at": None,
                },
            )
            audit.append(
                audit_entry(
                    article_id,
                    AuditAction.WITHDRAW,
                    editor,
                    withdrawn_at,
                    revision_number=live["revision"],
                    version_number=live["version"],
                    reason=reason,
                    details={"from": "published"},
                )
            )
            lock += 1
        elif status == ArticleStatus.WITHDRAWN:
            final = ArticleStatus.DRAFT
        if final == ArticleStatus.DRAFT and live is not None:
            final = ArticleStatus.PUBLISHED
        updated = batch.rows["revisions"][-1]["created_at"]
        batch.add(
            "articles",
            {
                "id": article_id,
                "slug": slug,
                "section": document.section,
                "status": final,
                "head_number": revisions,
                "lock_version": lock,
                "created_by_id": reporter,
                "created_at": created,
                "updated_at": updated,
                "first_published_at": first_published,
                "last_updated_at": last_updated,
                "approved_revision_number": approved_revision,
                "live_version_number": live["version"] if live else None,
                "scheduled_publish_at": None,
                "withdrawn_at": withdrawn_at,
                "withdrawal_reason": reason,
                "follows_id": None,
            },
        )
        for row in audit:
            batch.add("audit_entries", row)
        for table, rows in story_rows(
            self.body_texts, batch.rows["revisions"][-1], publications
        ).items():
            for row in rows:
                batch.add(table, row)

    def _next(
        self,
        rng: random.Random,
        document: Document,
        bodies: tuple[str, ...],
        body_index: int,
        big: bool,
        rare: str | None,
    ) -> tuple[Document, str | None]:
        """The next revision's document: most edits change the body, some the metadata."""
        if body_index + 1 < len(bodies) and (big or rng.random() < 0.75):
            message = rng.choice(_MESSAGES) if rng.random() < 0.3 else None
            return document.replace(body=bodies[body_index + 1]), message
        language = document.language
        choice = rng.random()
        if choice < 0.5:
            headline = prose.headline(rng, language, rare)
            if headline != document.headline:
                return document.replace(headline=headline), "New headline"
        if choice < 0.8:
            return document.replace(keywords=prose.keywords(rng, document.keywords)), None
        deck = document.replace(deck=prose.sentence(rng, language))
        if deck != document:
            return deck, "Sharper deck"
        return document.replace(keywords=prose.keywords(rng, document.keywords)), None

    def _second_byline(self, rng: random.Random) -> list[int]:
        return [rng.choice(self.reporters)] if rng.random() < 0.2 else []


_METADATA = tuple(name for name in Document.__dataclass_fields__ if name != "body")
_MESSAGES = ("Adds quote", "Fixes typo", "Updates figures", "Adds background", "Trims")
