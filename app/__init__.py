"""Raccolto: the application factory. Configures and registers; no side effects."""
import os

from flask import Flask

from app.config import DEV_SECRET, Config


def create_app(overrides=None):
    """Build the Flask app from Config (the environment) plus optional overrides."""
    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH") or None,
                instance_relative_config=True,
                static_folder="../static", template_folder="../templates")
    app.config.from_object(Config)
    if overrides:
        app.config.from_mapping(overrides)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        # The embedded default needs its folder (as flaskr's factory does); nothing else is created.
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(
            app.instance_path, "raccolto.sqlite3")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") and app.config.get("POSTGRES_JIT_OFF", True):
        # Page queries are short: PostgreSQL's JIT costs them far more than it saves (it compiled
        # 120 ms for a 60 ms board query at the national size). Reports would still run well without.
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        connect_args = dict(options.get("connect_args") or {})
        connect_args["options"] = (connect_args.get("options", "") + " -c jit=off").strip()
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "connect_args": connect_args}
    if not app.config.get("UPLOAD_DIR"):
        app.config["UPLOAD_DIR"] = os.path.join(app.instance_path, "uploads")
    if app.config["ENV_NAME"] == "production" and app.config["SECRET_KEY"] in (DEV_SECRET, "", None):
        raise RuntimeError("RACCOLTO_ENV=production needs a real SECRET_KEY in the environment.")

    from app import extensions, security, i18n, errors, htmx as htmx_helpers, cli, navigation, guard, compression, mail_render
    from app import models  # noqa: F401  (registers the tables)
    from app.services import registry  # noqa: F401  (operation kinds, engine subscribers, worker jobs)

    guard.init_app(app)  # first: it bounds the int converter and checks requests before anything else
    extensions.db.init_app(app)
    compression.init_app(app)  # first: its after_request hook then runs last, on the final body
    extensions.migrate.init_app(app, extensions.db, directory=os.path.join(
        os.path.dirname(app.root_path), "migrations"), render_as_batch=True)
    extensions.csrf.init_app(app)
    extensions.htmx.init_app(app)
    extensions.mail.init_app(app)
    mail_render.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    htmx_helpers.init_app(app)
    cli.init_app(app)
    navigation.init_app(app)

    from app.auth import bp as auth_bp
    from app.account import bp as account_bp
    from app.coordination import bp as coordination_bp
    from app.store import bp as store_bp
    from app.volunteer import bp as volunteer_bp
    from app.charity import bp as charity_bp
    from app.public import bp as public_bp
    from app.pwa import bp as pwa_bp
    from app.api import bp as api_bp
    from app.crates import bp as crates_bp
    from app.campaigns import bp as campaigns_bp
    from app.notifications import bp as notifications_bp
    from app.impact import bp as impact_bp
    from app.documents import bp as documents_bp
    from app.opendata import bp as opendata_bp
    from app.rota import bp as rota_feed_bp
    from app.mail import bp as mail_bp
    from app.photos import bp as photos_bp
    from app.partners import bp as partners_bp

    app.register_blueprint(pwa_bp)
    for blueprint in (auth_bp, account_bp, coordination_bp, store_bp, volunteer_bp,
                      charity_bp, public_bp, campaigns_bp, api_bp, crates_bp, notifications_bp,
                      impact_bp, documents_bp, opendata_bp, rota_feed_bp, mail_bp, photos_bp, partners_bp):
        app.register_blueprint(blueprint)
    return app
