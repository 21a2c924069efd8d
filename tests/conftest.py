"""Fixtures shared by the whole suite (flaskr's tests/conftest.py is the model).

The database is SQLite (a file per xdist worker, so concurrency tests get real
separate connections) unless TEST_DATABASE_URL points at PostgreSQL; then each
worker gets its own database on that server. Tables are created once per run
and emptied after every test.
"""
import os
import re
import secrets
import tempfile

import flask_babel
import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.config import TestConfig
from app.extensions import db

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _worker():
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _postgres_url(base):
    """Create (if needed) this worker's own database next to TEST_DATABASE_URL's."""
    url = make_url(base)
    # RACCOLTO_TEST_DB separates concurrent runs on one server (e.g. two developers).
    name = f"raccolto_{os.environ.get('RACCOLTO_TEST_DB', 'test')}_{_worker()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        raise pytest.UsageError(f"TEST_DATABASE_URL is set but PostgreSQL is not usable: {error}") from error
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """The URL of this run's test database."""
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        return _postgres_url(base)
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "raccolto.sqlite3")


def pytest_report_header(config):
    base = os.environ.get("TEST_DATABASE_URL")
    return f"raccolto database: {'PostgreSQL ' + make_url(base).render_as_string() if base else 'SQLite'}"


class RaccoltoClient(FlaskClient):
    """A test client that sends a valid CSRF token with every unsafe request.

    Pass csrf=False to send none (to test that the app refuses it).
    """

    def csrf_token(self):
        with self.session_transaction() as session:
            raw = session.setdefault("csrf_token", secrets.token_hex(20))
        signer = URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token")
        return signer.dumps(raw)

    def open(self, *args, csrf=True, **kwargs):
        # Tests hold one app context open, and requests reuse it (and its `g`):
        # forget what the previous request cached there, as a real request would.
        if has_app_context():
            flask_babel.refresh()
            g.pop("_login_user", None)
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method not in ("GET", "HEAD", "OPTIONS"):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def _app(database_url, tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    overrides = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    overrides.update(SQLALCHEMY_DATABASE_URI=database_url, UPLOAD_DIR=str(instance / "uploads"))
    application = create_app(overrides)
    application.test_client_class = RaccoltoClient
    with application.app_context():
        db.drop_all()
        db.create_all()
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def app(_app, monkeypatch):
    """The app inside an app context; every table is emptied after the test.

    Change settings with monkeypatch.setitem(app.config, ...), which undoes itself.
    """
    with _app.app_context():
        yield _app
        db.session.remove()
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in reversed(db.metadata.sorted_tables):
                    conn.execute(table.delete())


@pytest.fixture
def client(app):
    """A test client (CSRF tokens included automatically)."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for `flask` commands."""
    return app.test_cli_runner()


@pytest.fixture
def make_org(app):
    """Factory: make_org('store'|'charity'|'coordination', **fields) -> Organisation."""
    from app.models import Organisation

    counter = {"n": 0}

    def make(kind="store", **fields):
        counter["n"] += 1
        defaults = {"name": f"{kind.title()} {counter['n']}", "address": f"Via Roma {counter['n']}",
                    "municipality": "Bologna", "province": "Bologna", "lat": 44.49, "lon": 11.34}
        if kind == "charity":
            from app.domain import CATEGORIES

            defaults.update(receiving_hours=[[d, "08:00", "20:00"] for d in range(7)],
                            categories_accepted=list(CATEGORIES), cold_storage=True,
                            people_served_week=100)
        defaults.update(fields)
        org = Organisation(kind=kind, **defaults)
        db.session.add(org)
        db.session.commit()
        return org

    return make


@pytest.fixture
def make_user(make_org):
    """Factory: make_user('store', org=..., volunteer_status='approved', ...) -> User.

    Roles: coordinator, store, charity, volunteer, or None for no role.
    """
    from app.models import Membership, User, VolunteerProfile
    from app.services.people.accounts import hash_password

    counter = {"n": 0}

    def make(role=None, org=None, email=None, password="password-di-prova", name=None,
             volunteer_status="approved", cold_transport=True, hygiene_training_on="recent", **profile):
        from datetime import date, timedelta

        counter["n"] += 1
        user = User(email=email or f"utente{counter['n']}@example.org", name=name or f"Utente {counter['n']}",
                    password_hash=hash_password(password))
        db.session.add(user)
        if role in ("store", "charity", "coordinator"):
            kind = {"store": "store", "charity": "charity", "coordinator": "coordination"}[role]
            db.session.add(Membership(user=user, organisation=org or make_org(kind), role=role))
        elif role == "volunteer":
            if hygiene_training_on == "recent":
                hygiene_training_on = date.today() - timedelta(days=100)
            user.volunteer = VolunteerProfile(status=volunteer_status, municipality="Bologna",
                                              base_lat=44.4949, base_lon=11.3426, vehicle="car",
                                              cold_transport=cold_transport,
                                              hygiene_training_on=hygiene_training_on, **profile)
        db.session.commit()
        return user

    return make


@pytest.fixture
def login_as(client):
    """Log `user` into `client` (default: the `client` fixture) without a form round-trip."""

    def login(user, on=None):
        target = on or client
        with target.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return user

    return login


@pytest.fixture
def as_role(make_user, login_as):
    """Make a user with `role`, log them in, return them."""

    def make(role, **kwargs):
        return login_as(make_user(role, **kwargs))

    return make


def csrf_from(html):
    """The CSRF token of the page's <meta name="csrf-token">."""
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    return match.group(1) if match else None
