"""Opening the store: a SQLite file by default, PostgreSQL by URL; migrations run on open."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from hrc_outreach.errors import StoreError

MIGRATIONS = Path(__file__).parent / "migrations"
# Alembic's command API keeps its context in module globals: two threads migrating at once (the
# flow's parallel senders, the web app's request threads) delete each other's and fail with
# KeyError('config'). One migration at a time per process.
_MIGRATE_LOCK = threading.Lock()
# Across processes and machines (workers, senders, web workers starting at once on a fresh
# PostgreSQL database), migrations take this transaction-scoped advisory lock: without it two
# processes both create ``alembic_version`` and one fails (UniqueViolation on pg_type).
_PG_MIGRATE_LOCK_KEY = 0x48524353544F5245  # "HRCSTORE"


def _normalise_url(url: str) -> str:
    # "postgresql://" means psycopg 3 here (psycopg2 is not a dependency).
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get WAL, foreign keys and a busy timeout."""
    url = _normalise_url(url)
    parsed = make_url(url)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:":
            Path(db).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

    return engine


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (Alembic ``upgrade head``)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with _MIGRATE_LOCK, engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                # pysqlite opens no transaction before DDL: take the write lock first, so a
                # second process waits (busy timeout) and then finds the schema made
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            elif conn.dialect.name == "postgresql":
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATE_LOCK_KEY}
                )
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except SQLAlchemyError as exc:
        raise StoreError(f"could not migrate the store at {engine.url!r}: {exc}") from exc


class Store:
    """The database: ``with store.session() as s: ...`` commits on success, rolls back on error.

    >>> store = Store("sqlite:///:memory:")  # doctest: +SKIP
    """

    def __init__(self, url: str, *, migrate_schema: bool = True) -> None:
        self.url = _normalise_url(url)
        try:
            self.engine = make_engine(self.url)
            if migrate_schema:
                migrate(self.engine)
        except SQLAlchemyError as exc:
            raise StoreError(f"could not open the store at {url}: {exc}") from exc
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        s = self._sessions()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(settings: Any) -> Store:
    """The store of these :class:`~hrc_outreach.config.Settings`, migrated, with the address hash
    keyed for it (see ``store.hashes``)."""
    store = Store(settings.database_url)
    bind_settings_key(store, settings)
    return store


def bind_settings_key(store: Store, settings: Any) -> None:
    """Key the address hash from ``settings`` for ``store`` (``config.email_hash_key``)."""
    from hrc_outreach.config import email_hash_key
    from hrc_outreach.store.hashes import bind_email_hash_key
    from hrc_outreach.store.tables import NoticeRow, StoreMetaRow

    # A store migrated before these tables existed (the schema is one migration until release).
    for table in (StoreMetaRow.__table__, NoticeRow.__table__):
        table.create(store.engine, checkfirst=True)  # type: ignore[attr-defined]
    for attempt in (1, 2):  # two first opens at once: the second finds the first's record
        try:
            with store.session() as session:
                bind_email_hash_key(session, lambda: email_hash_key(settings), store.url)
            return
        except SQLAlchemyError as exc:
            if attempt == 2:
                raise StoreError(f"could not key the store at {store.url}: {exc}") from exc
