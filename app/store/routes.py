"""Views under /negozio: today, history, posting and editing a donation, cancelling."""
from datetime import datetime, time, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from app.domain import ALLERGENS, CATEGORIES, DONATION_STATUS_LABELS
from app.extensions import db
from app.htmx import render_page_or_fragment
from app.models import Donation
from app.models.base import utcnow
from app.services.logistics.pickups import WITH_PEOPLE
from app.services import ops
from app.services.food.donations import ROME, local
from app.services.food.timeline import timeline
from app.services.rota import queries as rota_queries
from app.store import forms, rota_routes
from app.store.access import my_store, own_donation  # noqa: F401  (routes.own_donation)
from app.store.blueprint import bp

HISTORY_PERIODS = {"7": 7, "30": 30, "90": 90, "365": 365}
HISTORY_PAGE = 50
# Form fields whose change can change which charities may receive the donation.
RECIPIENT_INPUTS = ("category", "storage", "window_day", "window_from", "window_to")


def _today_start():
    now = local(utcnow())
    return datetime.combine(now.date(), time(0, 0), ROME)


@bp.route("/")
def home():
    """The store's start page: today's donations and their live state (htmx polls it)."""
    store = my_store()
    donations = []
    if store is not None:
        donations = db.session.scalars(select(Donation).options(*WITH_PEOPLE).where(
            Donation.store_id == store.id,
            or_(Donation.status.in_(("posted", "claimed", "picked_up")),
                Donation.posted_at >= _today_start(), Donation.window_end >= _today_start()))
            .order_by(Donation.window_start, Donation.id)).all()
    kg_today = sum(d.kg_declared for d in donations if d.status not in ("cancelled", "expired"))
    slots = rota_queries.today_for_store(store.id) if store is not None else []
    return render_page_or_fragment("store/home.html", "store/_today.html", org=store, donations=donations,
                                   kg_today=kg_today, updated=utcnow(), slots=slots)


@bp.route("/storico")
def history():
    """Past donations with filters: period, status, category."""
    store = my_store()
    period = request.args.get("periodo", "30")
    period = period if period in HISTORY_PERIODS else "30"
    status = request.args.get("stato", "")
    status = status if status in DONATION_STATUS_LABELS else ""
    category = request.args.get("categoria", "")
    category = category if category in CATEGORIES else ""
    page = max(request.args.get("pagina", 1, type=int) or 1, 1)
    rows, more = [], False
    if store is not None:
        query = select(Donation).options(*WITH_PEOPLE).where(
            Donation.store_id == store.id, Donation.posted_at >= utcnow() - timedelta(
            days=HISTORY_PERIODS[period]))
        if status:
            query = query.where(Donation.status == status)
        if category:
            query = query.where(Donation.category == category)
        rows = db.session.scalars(query.order_by(Donation.posted_at.desc(), Donation.id.desc())
                                  .offset((page - 1) * HISTORY_PAGE).limit(HISTORY_PAGE + 1)).all()
        more, rows = len(rows) > HISTORY_PAGE, rows[:HISTORY_PAGE]
    return render_page_or_fragment("store/history.html", "store/_history_list.html", org=store, rows=rows,
                                   period=period, status_filter=status, category_filter=category, page_number=page, more=more,
                                   periods=HISTORY_PERIODS, status_keys=list(DONATION_STATUS_LABELS),
                                   category_keys=list(CATEGORIES))


def _form_page(form, store, donation=None, status=200):
    """The donation form with the charities that fit what is filled in so far."""
    now = utcnow()
    values, _problems = forms.check(form, now, donation)
    choices = forms.recipient_choices(store, values, now)
    return render_template("store/donation_form.html", form=form, store=store, donation=donation,
                           choices=choices, estimate=values.get("value_eur"), allergen_keys=list(ALLERGENS),
                           category_keys=list(CATEGORIES)), status


def _submit(kind, form, extra=None):
    """Build the operation from the form and apply it; returns the result."""
    op = {"op_id": form.op_id, "kind": kind, **forms.payload(form), **(extra or {})}
    return ops.apply(op, current_user, source="form")


def _succeeded(result):
    """Applied now, or applied the first time this op_id came (a double tap)."""
    return result["status"] == "applied" or result.get("original_status") == "applied"


def _refused(form, result):
    """Put a refusal's messages beside their fields; a fresh op_id lets the clerk try again."""
    form.errors = forms.errors_from(result.get("errors"))
    if not form.errors:
        flash(result.get("message") or _("Operazione non riuscita."), "error")
    form.op_id = ops.new_op_id()


@bp.route("/nuova", methods=["GET", "POST"])
def new_donation():
    """Post a donation from the phone; one op_id per rendered form, so a double tap posts once."""
    store = my_store()
    if store is None:
        return render_template("store/no_store.html"), 403
    if request.method == "GET":
        slot_id = request.args.get("turno", type=int)
        if slot_id:  # one tap from today's scheduled pickup: the form pre-filled from the schedule
            return _form_page(rota_routes.prefilled_form(rota_routes.own_slot(slot_id), utcnow()), store)
        return _form_page(forms.blank(utcnow()), store)
    form = forms.from_request(request.form)
    result = _submit("donation.post", form)
    if _succeeded(result):
        flash(_("Donazione pubblicata: ora stampa le etichette e attaccale alle cassette."), "success")
        return redirect(url_for("store.donation", donation_id=result["donation_id"]))
    _refused(form, result)
    return _form_page(form, store, status=422)


@bp.route("/nuova/controlla", methods=["POST"])
@bp.route("/donazioni/<int:donation_id>/controlla", methods=["POST"])
def check_donation(donation_id=None):
    """Inline validation (htmx, on change): each field's message, the recipients, the estimate."""
    donation = own_donation(donation_id) if donation_id else None
    form = forms.from_request(request.form)
    trigger = request.headers.get("HX-Trigger-Name", "")
    storage_reset = trigger == "category" and form.get("category") in CATEGORIES
    if storage_reset:
        form.values["storage"] = CATEGORIES[form.get("category")][1]  # the category's usual storage
    now = utcnow()
    values, problems = forms.check(form, now, donation)
    # A value nobody has typed yet is not an error yet: only once its own field changed.
    form.errors = {name: p.message for name, p in problems.items()
                   if not p.missing or name == trigger or form.get(name)}
    context = {"form": form, "errors": form.errors, "slots": forms.FORM_FIELDS, "storage_reset": storage_reset,
               "estimate": values.get("value_eur"), "check_url": request.path}
    if trigger in RECIPIENT_INPUTS:
        context["choices"] = forms.recipient_choices(donation.store if donation else my_store(), values, now)
    return render_template("store/_checks.html", **context)


@bp.route("/donazioni/<int:donation_id>")
def donation(donation_id):
    """A donation: its state, crates, labels, actions and custody timeline."""
    item = own_donation(donation_id)
    reposted_as = db.session.scalar(select(Donation.id).where(Donation.reposted_from_id == item.id))
    from app.services.impact import documents
    from app.services.logistics import photos

    issued = item.status in documents.ISSUED_STATUSES
    return render_page_or_fragment("store/donation.html", "store/_donation_state.html", donation=item,
                                   timeline=timeline(item), op_id=ops.new_op_id(), reposted_as=reposted_as,
                                   ddt=documents.for_donation(item.id) if issued else None,
                                   photos=photos.photos_of(item) if issued else [])


@bp.route("/donazioni/<int:donation_id>/modifica", methods=["GET", "POST"])
def edit_donation(donation_id):
    """Correct a donation before a volunteer claims it."""
    item = own_donation(donation_id)
    if item.status != "posted":
        flash(_("Si può modificare una donazione solo finché nessun volontario l'ha prenotata."), "warning")
        return redirect(url_for("store.donation", donation_id=item.id))
    if request.method == "GET":
        return _form_page(forms.from_donation(item), item.store, item)
    form = forms.from_request(request.form)
    result = _submit("donation.edit", form, {"donation_id": item.id})
    if _succeeded(result):
        flash(_("Modifiche salvate.") if result.get("changed") else _("Nessuna modifica."), "success")
        return redirect(url_for("store.donation", donation_id=item.id))
    _refused(form, result)
    return _form_page(form, item.store, item, status=422)


@bp.route("/donazioni/<int:donation_id>/annulla", methods=["POST"])
def cancel_donation(donation_id):
    """Cancel a donation before pickup, with a reason the volunteer will read."""
    item = own_donation(donation_id)
    op = {"op_id": request.form.get("op_id") or ops.new_op_id(), "kind": "donation.cancel",
          "donation_id": item.id, "reason": request.form.get("reason", "")}
    result = ops.apply(op, current_user, source="form")
    if _succeeded(result):
        flash(_("Donazione annullata."), "success")
    else:
        flash(result.get("message") or _("Operazione non riuscita."), "error")
    return redirect(url_for("store.donation", donation_id=item.id))


@bp.route("/donazioni/<int:donation_id>/ripubblica", methods=["POST"])
def repost_donation(donation_id):
    """Offer again, as a new donation with new labels, the crates a partial pickup left here."""
    item = own_donation(donation_id)
    op = {"op_id": request.form.get("op_id") or ops.new_op_id(), "kind": "donation.repost",
          "donation_id": item.id}
    result = ops.apply(op, current_user, source="form")
    if _succeeded(result):
        flash(_("Cassette ripubblicate: stampa le nuove etichette."), "success")
        return redirect(url_for("store.donation", donation_id=result["donation_id"]))
    flash(result.get("message") or _("Operazione non riuscita."), "error")
    return redirect(url_for("store.donation", donation_id=item.id))

