"""Flask extensions as module globals, bound to the app with init_app."""
from flask_babel import Babel
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine

# Stable constraint names so Alembic migrations work on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
htmx = Htmx()
mail = Mail()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """Turn on WAL, foreign keys and a busy timeout for every SQLite connection."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# --- SQLite write transactions ----------------------------------------------
# pysqlite opens transactions lazily and as DEFERRED: two requests that read and
# then write race for the lock and one fails with "database is locked" instead
# of waiting. We take control of BEGIN (SQLAlchemy's documented recipe) so code
# that writes shared state can ask for BEGIN IMMEDIATE, which waits politely
# for the single writer slot. PostgreSQL is untouched.
import contextlib  # noqa: E402
import contextvars  # noqa: E402

_immediate = contextvars.ContextVar("raccolto_sqlite_immediate", default=False)


@event.listens_for(Engine, "connect")
def _sqlite_manual_begin(dbapi_connection, connection_record):
    """Let SQLAlchemy, not pysqlite, emit BEGIN on SQLite connections."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    """Emit BEGIN, or BEGIN IMMEDIATE inside write_transaction(), on SQLite."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


@contextlib.contextmanager
def write_transaction():
    """Run a block in a fresh transaction that holds the write lock on SQLite.

    Ends any read transaction the session had open, so the next statement
    starts a new one (IMMEDIATE on SQLite). Commits on success, rolls back on
    error. On PostgreSQL it is an ordinary transaction.
    """
    db.session.commit()
    token = _immediate.set(True)
    try:
        yield db.session
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        _immediate.reset(token)
