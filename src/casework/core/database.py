"""Engine, sessions and the declarative base shared by every domain's models.

Constraint names follow one convention so Alembic can alter tables on SQLite (batch mode)
and names match on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which drops tz) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def _tune_sqlite(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers run beside the single writer; busy_timeout makes writers queue
    # instead of failing; foreign keys are off by default in SQLite.
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _begin(conn: Any) -> None:
    # Writers take the lock at BEGIN: a deferred transaction that reads and later writes
    # gets SQLITE_BUSY at once when another writer got in between, which busy_timeout
    # cannot fix. Read-only sessions begin deferred so searches never queue behind ingest.
    if conn.get_execution_options().get("casework_readonly"):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def build_engine(url: str, **pool: Any) -> Engine:
    """Create the engine for `url`; SQLite gets WAL and sane locking, others a pool."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _tune_sqlite)

        @event.listens_for(engine, "connect")
        def _no_pysqlite_begin(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None

        event.listen(engine, "begin", _begin)
        return engine
    return create_engine(url, pool_pre_ping=True, **pool)


def build_session_factory(engine: Engine, *, readonly: bool = False) -> sessionmaker[Session]:
    """Sessions for units of work; `readonly` ones never take SQLite's write lock."""
    bind = engine.execution_options(casework_readonly=True) if readonly else engine
    return sessionmaker(bind=bind, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit at the end, roll back on any error. Services only flush."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def is_read_only(session: Session) -> bool:
    """Whether `session` came from a read-only factory (`build_session_factory(readonly=)`)."""
    return bool(session.get_bind().get_execution_options().get("casework_readonly"))


def restart_snapshot(session: Session) -> None:
    """End a read-only session's transaction, so its next statement sees every commit made
    until then. A SQLite (WAL) reader sees the database as it was at its first read: a
    request whose dependencies already read (who is calling) misses what another
    connection commits afterwards. PostgreSQL's READ COMMITTED sees it either way."""
    if not is_read_only(session):
        raise ValueError("only a read-only session's snapshot may be restarted")
    session.commit()


_HOOKS_KEY = "casework_transaction_hooks"
_LISTENING_KEY = "casework_transaction_hooks_listening"


def _hooks(session: Session) -> dict[str, list[Callable[[], None]]]:
    hooks: dict[str, list[Callable[[], None]]] | None = session.info.get(_HOOKS_KEY)
    if hooks is None:
        hooks = session.info[_HOOKS_KEY] = {"commit": [], "rollback": []}

    if not session.info.get(_LISTENING_KEY):
        session.info[_LISTENING_KEY] = True

        def _fire(kind: str) -> Callable[[Session], None]:
            def fire(done: Session) -> None:
                if done.in_nested_transaction():
                    # A savepoint (begin_nested) ended; the real commit is still to come,
                    # and a worker woken now would not see the rows yet.
                    return
                pending = done.info.pop(_HOOKS_KEY, None) or {"commit": [], "rollback": []}
                for callback in pending[kind]:
                    callback()

            return fire

        event.listen(session, "after_commit", _fire("commit"))
        event.listen(session, "after_rollback", _fire("rollback"))
    return hooks


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once this transaction commits (e.g. wake workers, drop a blob)."""
    _hooks(session)["commit"].append(callback)


def after_rollback(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` if this transaction rolls back (e.g. remove a blob just published)."""
    _hooks(session)["rollback"].append(callback)
