"""Public views: home, campaigns, events, RSVP, contact form, health check."""
from flask import abort, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import text

from app.extensions import db
from app.htmx import render_page_or_fragment, wants_fragment
from app.public.blueprint import bp
from app.public.caching import conditional_page
from app.public.forms import ContactForm, RsvpForm
from app.services import ServiceError
from app.services.pages import content as pages, rsvp
from app.urls import public_url


def _locale():
    """The UI language: 'it' or 'en'."""
    return str(get_locale() or "it")


def _versions(items):
    """What identifies a list of pages' content for the ETag: ids and last changes."""
    return [(type(i).__name__, i.id, i.updated_at) for i in items]


@bp.route("/")
def home():
    """The programme's public home: current campaigns, next events, impact counters."""
    campaigns = pages.current_campaigns(limit=4)
    events = pages.upcoming_events(limit=3)
    impact = pages.public_impact()
    return conditional_page(
        (_versions(campaigns), _versions(events), impact),
        lambda: render_template("public/home.html", campaigns=campaigns, events=events, impact=impact))


@bp.route("/campagne")
def campaigns():
    """Every public campaign, current ones first."""
    items = pages.public_campaigns()
    current = {c.id for c in pages.current_campaigns()}
    return conditional_page((_versions(items), sorted(current)), lambda: render_template(
        "public/campaigns.html", campaigns=items, current=current))


@bp.route("/campagne/<slug>")
def campaign(slug):
    """A campaign page (drafts and scheduled campaigns are 404 for the public)."""
    item = pages.public_campaign(slug) or abort(404)
    events = pages.upcoming_events(campaign=item)
    return conditional_page((_versions([item]), _versions(events)), lambda: render_template(
        "public/campaign.html", campaign=item, text=item.localised(_locale()), events=events))


@bp.route("/eventi")
def events():
    """Upcoming public events, soonest first."""
    items = pages.upcoming_events()
    seats = {e.id: rsvp.availability(e) for e in items}
    return conditional_page((_versions(items), sorted(seats.items())), lambda: render_template(
        "public/events.html", events=items, seats=seats))


def _event_context(event, form=None):
    """What the event page and its RSVP panel show."""
    return {"event": event, "text": event.localised(_locale()), "seats": rsvp.availability(event),
            "can_register": rsvp.can_register(event), "form": form or RsvpForm(formdata=None)}


@bp.route("/eventi/<slug>")
def event(slug):
    """An event page with its RSVP form."""
    item = pages.public_event(slug) or abort(404)
    context = _event_context(item)
    parts = (_versions([item]), context["seats"], context["can_register"])
    return conditional_page(parts, lambda: render_page_or_fragment(
        "public/event.html", "public/_rsvp.html", **context))


@bp.route("/eventi/<slug>/partecipa", methods=["POST"])
def register(slug):
    """RSVP: confirmed or waitlisted; the answer carries the private cancel link once."""
    item = pages.public_event(slug) or abort(404)
    form = RsvpForm()
    if form.is_bot:
        abort(400)
    error = None
    if form.validate_on_submit():
        try:
            booking, token = rsvp.register(item.id, form.name.data, form.email.data, form.people.data,
                                           locale=_locale(), source=pages.source_of(request.remote_addr))
        except ServiceError as exc:
            error = exc.message
        else:
            return _registered(item, booking, token)
    return render_page_or_fragment("public/event.html", "public/_rsvp.html", status=400 if form.errors
                                   else 409, rsvp_error=error, **_event_context(item, form))


def _registered(event, booking, token):
    """htmx: the RSVP panel with the private link; otherwise a redirect to the private page."""
    link = public_url("public.booking", token=token)
    if wants_fragment():
        response = render_page_or_fragment("public/booking.html", "public/_rsvp_done.html", event=event,
                                           booking=booking, link=link, text=event.localised(_locale()),
                                           position=rsvp.waitlist_position(booking), token=token)
        response.headers["Cache-Control"] = "no-store"
        return response
    flash(_("Iscrizione registrata.") if booking.status == "confirmed"
          else _("Sei in lista d'attesa: ti avvisiamo qui se si libera un posto."), "success")
    return redirect(url_for("public.booking", token=token), 303)


@bp.route("/partecipazione/<token>")
def booking(token):
    """The private page of one RSVP (its link is the only key): state and cancel button."""
    found = rsvp.by_token(token) or abort(404, _("Questo link di iscrizione non è valido."))
    return _private_page(
        "public/booking.html", booking=found, event=found.event, text=found.event.localised(_locale()),
        link=public_url("public.booking", token=token), position=rsvp.waitlist_position(found), token=token)


@bp.route("/partecipazione/<token>/annulla", methods=["POST"])
def cancel(token):
    """Cancel an RSVP from its private link; the first on the waitlist moves up."""
    found, _promoted = rsvp.cancel(token)
    if found is None:
        abort(404, _("Questo link di iscrizione non è valido."))
    flash(_("Iscrizione annullata. Grazie di averci avvisato: il posto passa a chi aspetta."), "success")
    return redirect(url_for("public.booking", token=token), 303)


def _private_page(template, **context):
    """A personal page reached by a secret link: never cached, never sent as a Referer."""
    response = make_response(render_template(template, **context))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.route("/contatti", methods=["GET", "POST"])
def contact():
    """Contact form for shops that want to donate (and anyone else); coordinators read it in the app."""
    form = ContactForm()
    if request.method == "GET" and request.args.get("tipo") in ("donor", "volunteer", "other"):
        form.kind.data = request.args["tipo"]
    error, status = None, 200
    if form.validate_on_submit():
        if form.is_bot:  # answer as if it worked: the bot learns nothing
            flash(_("Grazie! Abbiamo ricevuto il tuo messaggio: ti ricontattiamo presto."), "success")
            return redirect(url_for("public.contact"), 303)
        try:
            pages.submit_contact(form.data, pages.source_of(request.remote_addr))
        except ServiceError as exc:
            error, status = exc.message, 429
        else:
            flash(_("Grazie! Abbiamo ricevuto il tuo messaggio: ti ricontattiamo presto."), "success")
            return redirect(url_for("public.contact"), 303)
    elif request.method == "POST":
        status = 400
    return render_template("public/contact.html", form=form, error=error), status


@bp.route("/healthz")
def healthz():
    """Liveness and database status for load balancers and monitoring."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as error:  # any driver error means the database is not usable
        db.session.rollback()
        database = f"error: {type(error).__name__}"
    ok = database == "ok"
    response = jsonify({"status": "ok" if ok else "degraded", "database": database,
                        "dialect": db.engine.dialect.name})
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response
