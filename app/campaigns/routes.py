"""Views under /coordinamento/campagne, /coordinamento/eventi and /coordinamento/contatti."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.campaigns.blueprint import bp
from app.campaigns.forms import CampaignForm, EventForm
from app.extensions import db
from app.htmx import wants_fragment
from app.models.page import Campaign, ContactRequest, Event
from app.services import ServiceError
from app.services.pages import content as pages, rsvp


def _campaign_choices():
    """(id, title) of every campaign, for the event form; 0 means none."""
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.created_at.desc())).all()
    return [(0, _("Nessuna"))] + [(c.id, c.title) for c in campaigns]


def _form(form_class, item):
    """The form for `item`: submitted data on POST, the stored values otherwise."""
    form = form_class(obj=item if request.method == "GET" else None)
    if request.method == "GET":
        form.publication.data = {"draft": "draft", "scheduled": "scheduled"}.get(item.state, "now")
    if isinstance(form, EventForm):
        form.campaign_id.choices = _campaign_choices()
        if request.method == "GET":
            form.campaign_id.data = item.campaign_id or 0
    form.has_cover = item.cover is not None
    return form


def _upload():
    """The chosen cover file, or None when the field was left empty."""
    upload = request.files.get("cover")
    return upload if upload and upload.filename else None


def _edit(item, form_class, save, template, endpoint):
    """Shared create/edit flow: validate, save through the service, or show what to fix."""
    form = _form(form_class, item)
    if form.validate_on_submit():
        try:
            save(item, form.data, current_user, _upload())
        except ServiceError as exc:
            db.session.rollback()
            target = {"not_an_image": form.cover, "empty": form.cover, "too_large": form.cover,
                      "too_small": form.cover, "bad_slug": form.slug, "slug_taken": form.slug,
                      "bad_times": getattr(form, "ends_at", None), "no_date": form.publish_at}.get(exc.code)
            (target.errors if target is not None else form.form_errors).append(exc.message)
        else:
            flash(_("«%(title)s» salvata.", title=item.title), "success")
            return redirect(url_for(endpoint, item_id=item.id))
    elif request.method == "POST" and _upload() is not None and not form.cover.errors:
        _keep_cover(form)
    status = 400 if request.method == "POST" else 200
    return render_template(template, form=form, item=item), status


def _keep_cover(form):
    """The other fields had errors but the photo was fine: keep it, so it need not be chosen again."""
    try:
        form.pending_cover.data = pages.keep_cover(_upload(), current_user).key
    except ServiceError as exc:
        db.session.rollback()
        form.cover.errors = list(form.cover.errors) + [exc.message]


# --- campaigns -----------------------------------------------------------------

@bp.route("/campagne")
def index():
    """Every campaign with its state, and how many contact requests wait to be read."""
    items = db.session.scalars(select(Campaign).order_by(Campaign.created_at.desc())).all()
    return render_template("campaigns/index.html", campaigns=items)


@bp.route("/campagne/nuova", methods=["GET", "POST"])
def new_campaign():
    """Write a new campaign (saved as a draft unless published)."""
    return _edit(Campaign(), CampaignForm, pages.save_campaign, "campaigns/campaign_form.html",
                 "campaigns.edit_campaign")


@bp.route("/campagne/<int:item_id>", methods=["GET", "POST"])
def edit_campaign(item_id):
    """Edit a campaign, publish it or take it back to draft."""
    return _edit(db.get_or_404(Campaign, item_id), CampaignForm, pages.save_campaign,
                 "campaigns/campaign_form.html", "campaigns.edit_campaign")


@bp.route("/anteprima", methods=["POST"])
def preview():
    """Live preview while writing (htmx): the text as the public page will show it."""
    data = {name: request.form.get(name, "") for name in
            ("title", "summary", "body", "title_en", "summary_en", "body_en")}
    return render_template("campaigns/_preview.html", it=pages.preview(data, "it"),
                           en=pages.preview(data, "en"))


# --- events ----------------------------------------------------------------------

@bp.route("/eventi")
def events():
    """Every event, next first, with seats taken and people waiting."""
    items = db.session.scalars(select(Event).order_by(Event.starts_at.desc())).all()
    return render_template("campaigns/events.html", events=items,
                           seats={e.id: rsvp.availability(e) for e in items})


@bp.route("/eventi/nuovo", methods=["GET", "POST"])
def new_event():
    """Create an event."""
    return _edit(Event(rsvp_open=True), EventForm, pages.save_event, "campaigns/event_form.html",
                 "campaigns.edit_event")


@bp.route("/eventi/<int:item_id>", methods=["GET", "POST"])
def edit_event(item_id):
    """Edit an event; raising the seats moves the waitlist up."""
    return _edit(db.get_or_404(Event, item_id), EventForm, pages.save_event, "campaigns/event_form.html",
                 "campaigns.edit_event")


@bp.route("/eventi/<int:item_id>/iscritti")
def rsvps(item_id):
    """Who is coming, who is waiting, who cancelled."""
    event = db.get_or_404(Event, item_id)
    return render_template("campaigns/rsvps.html", event=event, groups=rsvp.rsvps_for(event),
                           seats=rsvp.availability(event))


# --- contact requests ------------------------------------------------------------------

@bp.route("/contatti")
def contacts():
    """Messages from the public contact form, unread first."""
    return render_template("campaigns/contacts.html", requests=pages.contact_requests())


@bp.route("/contatti/<int:request_id>/letto", methods=["POST"])
def mark_read(request_id):
    """Mark a contact request as handled (htmx swaps the row)."""
    item = db.get_or_404(ContactRequest, request_id)
    pages.mark_contact_read(item, current_user)
    if wants_fragment():
        return render_template("campaigns/_contact_row.html", item=item)
    flash(_("Segnato come letto."), "success")
    return redirect(url_for("campaigns.contacts"))
