"""Connection settings the app gives PostgreSQL (issue 17): page queries run without JIT."""
from sqlalchemy import text

from app import create_app
from app.config import TestConfig
from app.extensions import db


def test_postgresql_connections_run_without_jit(app):
    if db.engine.dialect.name != "postgresql":
        assert "connect_args" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]  # SQLite takes no such option
        return
    assert db.session.execute(text("SHOW jit")).scalar() == "off"


def test_jit_option_is_added_to_existing_connect_args():
    app = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                      "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
                      "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": "-c statement_timeout=5000"}}})
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["options"]
    assert options == "-c statement_timeout=5000 -c jit=off"
