"""Writing an :class:`~tests.bench.scale.archive.Archive` into a migrated database, fast.

PostgreSQL: ``COPY … FROM STDIN`` through psycopg, one statement per table and
batch. SQLite: SQLAlchemy Core ``insert()`` executemany. Both in the caller's
transaction, with every constraint and index of the migrations in place.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import JSON, Connection, Table, func, select, text, update
from sqlalchemy import Enum as EnumType

from cms.articles.models import Article
from cms.auth.models import User
from cms.delivery.models import FanOutCursor
from cms.outbox.models import DeliveryEvent
from cms.workflow.models import Approval
from tests.bench.scale.archive import TABLES, Archive, Batch, Ids, Shape

_TABLES = {table.name: table for table in TABLES}
#: Rows per executemany on SQLite.
_CHUNK = 5000


@dataclass
class Phase:
    """How long one part of the load took and how many rows it wrote."""

    name: str
    seconds: float
    rows: int

    def line(self) -> str:
        rate = self.rows / self.seconds if self.seconds else 0.0
        return f"{self.name:<44} {self.rows:>10,} rows {self.seconds:8.1f} s {rate:>10,.0f} rows/s"


@dataclass
class Report:
    """What a load wrote: phases, row counts per table and the archive's facts."""

    archive: Archive
    phases: list[Phase] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return sum(phase.seconds for phase in self.phases)

    def timed(self, name: str, work: Callable[[], int]) -> None:
        began = time.perf_counter()
        rows = work()
        self.phases.append(Phase(name, time.perf_counter() - began, rows))


def next_ids(connection: Connection) -> Ids:
    """The first free id of each table whose ids the archive assigns."""

    def after(column: Any) -> int:
        return (connection.scalar(select(func.max(column))) or 0) + 1

    return Ids(
        user=after(User.id),
        article=after(Article.id),
        approval=after(Approval.id),
        event=after(DeliveryEvent.id),
    )


def load(
    connection: Connection,
    shape: Shape,
    password_hash: str,
    *,
    planner_process: bool = False,
    on_batch: Callable[[int], None] | None = None,
) -> Report:
    """Write an archive of ``shape`` through ``connection`` (in its transaction).

    With ``planner_process`` the rows are planned (and bodies rendered) in a
    second process while this one writes. ``on_batch`` is told the number of
    stories written after each batch.
    """
    archive = Archive(shape, next_ids(connection))
    report = Report(archive)
    write = _copy if connection.dialect.name == "postgresql" else _executemany
    planned = _planned_elsewhere(archive, password_hash) if planner_process else None
    batches = planned or archive.plan(password_hash)
    waited: dict[str, float] = {}
    wrote: dict[str, float] = {}
    rows: dict[str, int] = {}
    stories = 0
    while True:
        began = time.perf_counter()
        item = next(batches, None)
        if item is None:
            break
        phase, batch = item
        middle = time.perf_counter()
        for table in TABLES:
            batch_rows = batch.rows.get(table.name)
            if batch_rows:
                write(connection, table.name, batch_rows)
                archive.counts[table.name] = archive.counts.get(table.name, 0) + len(batch_rows)
        waited[phase] = waited.get(phase, 0.0) + middle - began
        wrote[phase] = wrote.get(phase, 0.0) + time.perf_counter() - middle
        rows[phase] = rows.get(phase, 0) + batch.count()
        if phase == "stories":
            stories += len(batch.rows.get("articles", ()))
            if on_batch:
                on_batch(stories)
    planning = "planning (2nd process; waited)" if planned else "planning"
    for phase in waited:
        report.phases.append(Phase(f"{phase}: {planning}", waited[phase], rows[phase]))
        report.phases.append(Phase(f"{phase}: writing", wrote[phase], rows[phase]))
    report.timed("sequences and fan-out cursor", lambda: _finish(connection))
    return report


def _planned_elsewhere(archive: Archive, password_hash: str) -> Iterator[tuple[str, Batch]]:
    """Plan ``archive`` in a forked process; yield its batches as they come."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=4)
    process = context.Process(target=_plan_into, args=(archive, password_hash, queue))
    process.start()
    try:
        while (item := queue.get()) is not None:
            yield item
    finally:
        process.join(timeout=60)
        if process.is_alive():
            process.terminate()
    if process.exitcode != 0:
        raise RuntimeError(f"the planner process failed (exit code {process.exitcode})")


def _plan_into(archive: Archive, password_hash: str, queue: Any) -> None:
    for item in archive.plan(password_hash):
        queue.put(item)
    queue.put(None)


def analyse(connection: Connection) -> None:
    """Refresh the planner's statistics, as an operator does after a bulk import.

    PostgreSQL: ``VACUUM (ANALYZE)``, outside any transaction. Autovacuum would do it
    soon after such a load; until it has, a GIN index's own statistics (kept by
    VACUUM) still describe the empty index, and the planner prefers testing every
    row's ``tsvector`` to reading the index. SQLite: ``ANALYZE``.
    """
    if connection.dialect.name != "postgresql":
        connection.execute(text("ANALYZE"))
        return
    if connection.in_transaction():
        connection.commit()
    raw = connection.connection.dbapi_connection
    assert raw is not None
    autocommit = raw.autocommit
    raw.autocommit = True
    try:
        raw.execute("VACUUM (ANALYZE)")
    finally:
        raw.autocommit = autocommit


def _finish(connection: Connection) -> int:
    """Move id sequences past the archive's ids; mark its events as fanned out."""
    if connection.dialect.name == "postgresql":
        for model in (User, Article, Approval, DeliveryEvent):
            table = model.__table__  # type: ignore[attr-defined]
            newest = select(func.coalesce(func.max(table.c.id), 1)).scalar_subquery()
            connection.execute(
                select(func.setval(func.pg_get_serial_sequence(table.name, "id"), newest))
            )
    # No partner has a webhook: every event is fanned out, to nobody.
    newest = connection.scalar(select(func.max(DeliveryEvent.id))) or 0
    connection.execute(update(FanOutCursor).where(FanOutCursor.id == 1).values(event_id=newest))
    return 1


def _executemany(connection: Connection, name: str, rows: Iterable[dict[str, Any]]) -> int:
    table = _TABLES[name]
    count = 0
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == _CHUNK:
            connection.execute(table.insert(), chunk)
            count += len(chunk)
            chunk = []
    if chunk:
        connection.execute(table.insert(), chunk)
        count += len(chunk)
    return count


def _copy(connection: Connection, name: str, rows: Iterable[dict[str, Any]]) -> int:
    table = _TABLES[name]
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return 0
    columns = list(first)
    converters = [_converter(table, column) for column in columns]
    raw = connection.connection.driver_connection
    count = 0
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        statement = f"COPY {name} ({', '.join(columns)}) FROM STDIN"
        with cursor.copy(statement) as copy:
            for row in _chain(first, iterator):
                copy.write_row(
                    [
                        convert(row[column]) if convert else row[column]
                        for column, convert in zip(columns, converters, strict=True)
                    ]
                )
                count += 1
    return count


def _chain(first: dict[str, Any], rest: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    yield first
    yield from rest


def _converter(table: Table, column: str) -> Callable[[Any], Any] | None:
    """How a value of ``column`` is written by COPY: JSON wrapped, enums by value."""
    kind = table.c[column].type
    if isinstance(kind, JSON) or isinstance(getattr(kind, "impl", None), JSON):
        return lambda value: None if value is None else Jsonb(value)
    if isinstance(kind, EnumType):
        return lambda value: value.value if isinstance(value, Enum) else value
    return None
