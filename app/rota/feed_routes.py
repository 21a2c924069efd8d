"""GET /calendario/<token>.ics: a volunteer's slots as iCalendar, in their language, Europe/Rome times."""
from flask import abort, current_app, request, url_for
from flask_babel import force_locale, gettext as _

from app.rota.blueprint import bp
from app.services.rota import calendar


@bp.route("/calendario/<token>.ics")
def feed(token):
    """The private feed; an unknown or revoked token is a 404 that says nothing of whose it was."""
    user = calendar.user_for_token(token)
    if user is None:
        abort(404, _("Questo link del calendario non esiste o è stato revocato."))
    rota_url = url_for("volunteer.rota", _external=True)

    def describe(slot):
        when = "%s–%s" % (slot.schedule.start_time, slot.schedule.end_time)
        summary = _("Ritiro %(store)s", store=slot.store.name)
        return summary, _("Turno di ritiro %(when)s. I tuoi turni: %(url)s", when=when, url=rota_url)

    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        body = calendar.feed_bytes(user, request.host.split(":")[0], _("Raccolto: i miei turni"), describe)
    response = current_app.response_class(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
