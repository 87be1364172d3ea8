"""Async SQLAlchemy for one service: engine, sessions, the ORM base pieces and Alembic at start-up.

PostgreSQL (asyncpg) in full mode and SQLite (aiosqlite) in embedded mode run the same models.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Protocol, TypeVar

from alembic import command
from alembic.config import Config
from fastapi import Depends, Request
from sqlalchemy import (
    DDL,
    JSON,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    event,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Dialect, Result, ScalarResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Mapped, SessionTransaction, mapped_column
from sqlalchemy.orm import Session as SyncSession
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator, Uuid
from uuid6 import uuid7

from kit.errors import Conflict

# Any SELECT, whatever its columns.
AnySelect = Select[*tuple[Any, ...]]
RowT = TypeVar("RowT")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> uuid.UUID:
    """Time-ordered UUIDv7: sorts by creation, indexes well."""
    return uuid.UUID(bytes=uuid7().bytes)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite hands back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        # TypeDecorator reports `object`; keyset pagination needs to know its cursors hold datetimes.
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime; use kit.db.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


JSONType = JSON().with_variant(JSONB(), "postgresql")

TYPE_ANNOTATION_MAP: dict[Any, Any] = {
    uuid.UUID: Uuid(),
    datetime: UTCDateTime(),
    dict[str, Any]: JSONType,
}


# NOTIFY reaches listeners of the same database only, and each service has its own.
OUTBOX_CHANNEL = "distribu_outbox"

# One NOTIFY per statement that writes events, from PostgreSQL itself, delivered at commit (never on
# rollback; several in one transaction arrive as one): emit() issues its INSERT and nothing else.
OUTBOX_NOTIFY_FUNCTION = f"""
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{OUTBOX_CHANNEL}', '');
    RETURN NULL;
END
$$
"""
OUTBOX_NOTIFY_TRIGGER = (
    "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()"
)
DROP_OUTBOX_NOTIFY = ("DROP TRIGGER IF EXISTS outbox_notify ON outbox", "DROP FUNCTION IF EXISTS outbox_notify()")

# The kit's own tables in every service's database; none of them is a service's to purge or to plan.
KIT_TABLES = ("outbox", "processed_events", "company_purges", "deleted_companies", "event_bindings")


def new_metadata() -> MetaData:
    """A service's MetaData, holding the event tables every service has (kit.migrations creates them)."""
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    outbox = Table(
        "outbox",
        metadata,
        Column("id", Uuid(), primary_key=True),
        Column("company_id", Uuid(), nullable=True),
        Column("routing_key", String(200), nullable=False),
        Column("payload", JSONType, nullable=False),
        Column("headers", JSONType, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("published_at", UTCDateTime(), nullable=True, index=True),
        Column("attempts", Integer(), nullable=False, server_default="0"),
        Column("last_error", Text(), nullable=True),
    )
    # The relay's scan: what is still unpublished, oldest first. Published rows (nearly all) stay out of it.
    unpublished = outbox.c.published_at.is_(None)
    Index(
        "ix_outbox_unpublished",
        outbox.c.created_at,
        outbox.c.id,
        postgresql_where=unpublished,
        sqlite_where=unpublished,
    )
    for statement in (OUTBOX_NOTIFY_FUNCTION, OUTBOX_NOTIFY_TRIGGER):
        trigger = DDL(statement)  # type: ignore[no-untyped-call]
        event.listen(outbox, "after_create", trigger.execute_if(dialect="postgresql"))
    Table(
        "processed_events",
        metadata,
        Column("event_id", Uuid(), primary_key=True),
        Column("event_type", String(200), nullable=False),
        Column("company_id", Uuid(), nullable=True, index=True),
        Column("processed_at", UTCDateTime(), nullable=False, index=True),
    )
    # A deleted company whose rows the worker is still purging (kit.purge); gone with its last batch.
    Table(
        "company_purges",
        metadata,
        Column("company_id", Uuid(), primary_key=True),
        Column("scheduled_at", UTCDateTime(), nullable=False),
        Column("deleted_rows", Integer(), nullable=False, server_default="0"),
    )
    # Companies deleted here, by id alone: an event about one that arrives late (a retry, a replayed dead
    # letter) is dropped instead of bringing its rows back. Pruned with the processed records.
    Table(
        "deleted_companies",
        metadata,
        Column("id", Uuid(), primary_key=True),
        Column("deleted_at", UTCDateTime(), nullable=False, index=True),
    )
    # The routing keys a service's queue was bound to, so a key no longer wanted is unbound at start.
    Table(
        "event_bindings",
        metadata,
        Column("queue", String(255), primary_key=True),
        Column("routing_key", String(255), primary_key=True),
    )
    return metadata


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TenantMixin:
    """Rows owned by one company; repositories scope every query by it."""

    company_id: Mapped[uuid.UUID] = mapped_column(index=True)


def insert_for(session: AsyncSession, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into `table` (a Table or a model) in the session's dialect, so it can say ON CONFLICT."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


_UPSERTS: dict[tuple[Any, ...], Any] = {}


async def upsert_newer(
    session: AsyncSession,
    table: Any,
    rows: Sequence[dict[str, Any]],
    *,
    key: Sequence[str],
    version: str,
) -> None:
    """Insert `rows`, or overwrite the existing row of each key with it where the stored `version` is older.

    One statement for all rows (a read model applies a whole batch of events with it). Every row has the
    same columns and a distinct key (`kit.consumer.newest_per_entity` first). Rows are written in key
    order, so two workers applying overlapping batches lock rows in the same order and never deadlock.
    """
    if not rows:
        return
    target: Table = table if isinstance(table, Table) else table.__table__
    columns = tuple(rows[0])
    dialect = session.get_bind().dialect.name
    cache_key = (target, dialect, columns, tuple(key), version)
    statement = _UPSERTS.get(cache_key)
    if statement is None:
        insert = postgresql.insert(target) if dialect == "postgresql" else sqlite.insert(target)
        statement = insert.on_conflict_do_update(
            index_elements=list(key),
            set_={column: insert.excluded[column] for column in columns if column not in key},
            where=target.c[version] < insert.excluded[version],
        )
        _UPSERTS[cache_key] = statement
    ordered = sorted(rows, key=lambda row: tuple(str(row[column]) for column in key))
    await session.execute(statement, ordered)


AfterCommit = Callable[[], Awaitable[None]]

# Callbacks of the transaction in progress, and those of a transaction that committed, not run yet.
_PENDING_CALLBACKS = "after_commit_pending"
_COMMITTED_CALLBACKS = "after_commit_committed"


def after_commit(session: AsyncSession, callback: AfterCommit) -> None:
    """Run `callback` once the session's transaction has committed, through `commit()`.

    Dropped when that transaction ends any other way (rolled back, or the session closed without
    committing): it never runs for writes that did not happen, even if the session commits later.
    """
    session.info.setdefault(_PENDING_CALLBACKS, []).append(callback)


@event.listens_for(SyncSession, "after_commit")
def _keep_committed_callbacks(session: SyncSession) -> None:
    # A savepoint's commit is not the transaction's: its callbacks wait for the outer commit.
    if not session.in_nested_transaction():
        session.info.setdefault(_COMMITTED_CALLBACKS, []).extend(session.info.pop(_PENDING_CALLBACKS, []))


@event.listens_for(SyncSession, "after_transaction_end")
def _drop_uncommitted_callbacks(session: SyncSession, transaction: SessionTransaction) -> None:
    # The outer transaction ended; whatever is still pending was not committed (a committed one moved on).
    if transaction.parent is None:
        session.info.pop(_PENDING_CALLBACKS, None)


def is_unique_violation(error: IntegrityError) -> bool:
    """Whether the statement broke a unique constraint (not a foreign key, a check or a NOT NULL)."""
    driver_error = error.orig
    if getattr(driver_error, "sqlstate", None) == "23505":  # PostgreSQL unique_violation
        return True
    return getattr(driver_error, "sqlite_errorname", None) in (
        "SQLITE_CONSTRAINT_UNIQUE",
        "SQLITE_CONSTRAINT_PRIMARYKEY",
    )


@asynccontextmanager
async def conflict_on_duplicate(session: AsyncSession, conflict: Conflict) -> AsyncIterator[None]:
    """Run the block's writes; if one breaks a unique constraint, roll back and answer `conflict` (409).

    The constraint decides, with no pre-check to race with. Other integrity errors pass through.
    """
    try:
        yield
    except IntegrityError as error:
        if not is_unique_violation(error):
            raise
        await session.rollback()
        raise conflict from error


async def flush_or_conflict(session: AsyncSession, conflict: Conflict) -> None:
    """Flush the session's new and changed rows; a duplicate of a unique value answers `conflict` (409)."""
    async with conflict_on_duplicate(session, conflict):
        await session.flush()


async def commit(session: AsyncSession) -> None:
    """Commit, then run the after-commit callbacks registered in the transaction that committed."""
    await session.commit()
    callbacks: list[AfterCommit] = session.info.pop(_COMMITTED_CALLBACKS, [])
    for callback in callbacks:
        await callback()


class Database:
    """The engine and session factory of one service's own database."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            # One writer at a time; NullPool plus a busy timeout keeps concurrent writers waiting, not failing.
            self.engine: AsyncEngine = create_async_engine(url, poolclass=NullPool, connect_args={"timeout": 30})
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        else:
            # No pre-ping: it costs three round trips (BEGIN, a ping, ROLLBACK) on every checkout. A connection
            # the server dropped fails its one request instead (503, see kit.errors), and SQLAlchemy then
            # replaces the whole pool; recycling bounds a connection's age for idle-killing middleboxes.
            self.engine = create_async_engine(
                url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False, pool_recycle=1800
            )
        # Copied into each new session's `info`: the kit keeps there what sessions of this database share
        # (its metadata, the relay and purge wake-ups), see kit.outbox.attach_outbox.
        self.session_info: dict[str, Any] = {}
        self.sessionmaker = async_sessionmaker(
            self.engine, expire_on_commit=False, autoflush=False, info=self.session_info
        )
        # Each statement on its own, with no BEGIN or COMMIT around it: for requests that only read.
        self.read_sessionmaker = async_sessionmaker(
            self.engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False, autoflush=False
        )

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def upgrade(self, migrations: Path) -> None:
        """Apply the service's Alembic migrations up to head; concurrent starters wait their turn."""
        async with self.engine.begin() as connection:
            if not self.is_sqlite:
                await connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": str(migrations)})
            await connection.run_sync(_upgrade, migrations)

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _upgrade(connection: Connection, migrations: Path) -> None:
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def run_migrations(metadata: MetaData) -> None:
    """Body of every service's `migrations/env.py`: migrate on the connection handed over."""
    from alembic import context

    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("migrations run at service start-up, through Database.upgrade()")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    database: Database = request.app.state.database
    async with database.sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await commit(session)


# One session per request, committed when the endpoint returns and before the response is sent.
Session = Annotated[AsyncSession, Depends(_request_session, scope="function")]


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    database: Database = request.app.state.database
    async with database.read_sessionmaker() as session:
        yield session


class ReadOnlySession(Protocol):
    """What code that only reads may do with a session: run SELECTs and look rows up by key.

    An AsyncSession is one; a ReadOnlySession has no add, delete, flush or commit and its statements are
    SELECTs, so a write through it fails type-checking. Repositories' read halves (`kit.repository.TenantReader`)
    take it.
    """

    async def execute(self, statement: AnySelect, params: Mapping[str, Any] | None = None) -> Result[Any]: ...

    async def scalar(self, statement: AnySelect, params: Mapping[str, Any] | None = None) -> Any: ...

    async def scalars(self, statement: AnySelect, params: Mapping[str, Any] | None = None) -> ScalarResult[Any]: ...

    async def get(self, entity: type[RowT], ident: Any) -> RowT | None: ...


# For hot endpoints that only read: no transaction, so two round trips fewer, and each statement sees
# what was committed when it ran. Nothing written through it would be rolled back: its type allows no write.
ReadSession = Annotated[ReadOnlySession, Depends(_read_session, scope="function")]


async def wait_for(database: Database, attempts: int = 60) -> None:
    """Wait for a database that may still be starting (compose, CI)."""
    for attempt in range(attempts):
        try:
            await database.ping()
            return
        except Exception:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(1)
