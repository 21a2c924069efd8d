"""Languages (Italian first, English second), time zone, localised formatting."""
from flask import current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_login import current_user

from app.extensions import babel

LANG_COOKIE = "lang"


def select_locale():
    """The user's setting, else the language cookie, else Accept-Language, else Italian."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # worker, CLI, services called from tests: Italian
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = request.cookies.get(LANG_COOKIE) or session.get(LANG_COOKIE)
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app):
    """Bind Flask-Babel and expose formatting helpers to templates."""
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories="translations")
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.policies["ext.i18n.trimmed"] = True

    @app.context_processor
    def _i18n_context():
        return {"current_locale": str(get_locale() or "it")}

    app.add_template_filter(lambda v, f="medium": format_datetime(v, f) if v else "", "datetime")
    app.add_template_filter(lambda v, f="medium": format_date(v, f) if v else "", "date")
    app.add_template_filter(lambda v, f="#,##0.#": format_decimal(v, f) if v is not None else "", "number")
