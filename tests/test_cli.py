"""Flask commands: seed, worker, register check; the migrations match the models."""
from sqlalchemy import func, select

from app.extensions import db
from app.models import Organisation, User, VolunteerProfile


def test_seed_builds_the_demo_network_once(runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "coordinatore@demo.raccolto.it" in result.output
    stores = db.session.scalar(select(func.count()).where(Organisation.kind == "store"))
    charities = db.session.scalar(select(func.count()).where(Organisation.kind == "charity"))
    volunteers = db.session.scalar(select(func.count()).select_from(VolunteerProfile))
    pending = db.session.scalar(select(func.count()).select_from(VolunteerProfile)
                                .where(VolunteerProfile.status == "pending"))
    cold = db.session.scalar(select(func.count()).select_from(VolunteerProfile)
                             .where(VolunteerProfile.cold_transport.is_(True)))
    assert stores >= 6 and charities >= 4 and volunteers >= 12 and pending >= 1 and cold >= 1
    users = db.session.scalar(select(func.count()).select_from(User))
    again = runner.invoke(args=["seed"])
    assert "già popolato" in again.output
    assert db.session.scalar(select(func.count()).select_from(User)) == users


def test_demo_logins_reach_their_homes(runner, client):
    runner.invoke(args=["seed"])
    for email, home in [("coordinatore@demo.raccolto.it", "/coordinamento/"),
                        ("negozio@demo.raccolto.it", "/negozio/"),
                        ("volontario@demo.raccolto.it", "/volontario/"),
                        ("ente@demo.raccolto.it", "/ente/")]:
        response = client.post("/login", data={"email": email, "password": "raccolto-demo"})
        assert response.headers["Location"] == home, email
        assert client.get(home).status_code == 200
        client.post("/logout")


def test_worker_once_runs_every_job(runner):
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0
    assert "purge_login_attempts: 0" in result.output


def test_verify_register_command(runner):
    runner.invoke(args=["seed"])
    assert runner.invoke(args=["verify-register"]).exit_code == 0


def test_migrations_match_the_models(app, database_url, tmp_path):
    """Upgrading a fresh database to head gives exactly the models' schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from app import create_app

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        fresh = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    else:
        name = url.database + "_migr"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        fresh = url.set(database=name).render_as_string(hide_password=False)
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": fresh, "SECRET_KEY": "x"})
    with other.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        db.engine.dispose()
    assert diff == []



def test_running_the_migrations_keeps_the_apps_loggers_working(tmp_path):
    """alembic's fileConfig must not disable loggers made before it (regression: mail's start-up line)."""
    import logging

    from flask_migrate import upgrade

    from app import create_app

    logger = logging.getLogger("raccolto.mail")
    fresh = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'logs.sqlite3'}", "TESTING": True,
                        "UPLOAD_DIR": str(tmp_path / "uploads")})
    with fresh.app_context():
        upgrade()
        db.engine.dispose()
    assert logger.disabled is False
