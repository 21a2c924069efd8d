"""The coordinator's live board of today's pickups: flagged ones on top, then by state.

Actions on one donation (change charity, release a claim, mark a flag handled)
go through the operations like everything else; a flag is not donation state,
so marking it handled is a plain service call.
"""
from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from app.coordination.blueprint import bp
from app.coordination.forms import DecisionForm
from app.extensions import db
from app.htmx import render_page_or_fragment
from app.impact import choices
from app.models import Donation, Flag
from app.models.base import utcnow
from app.services.logistics import pickups
from app.services.ops import rules
from app.services.food import recipients
from app.services.food.timeline import timeline
from app.volunteer.actions import apply_form, category, message

FLAG_LABELS = {"late_unclaim": _l("Rinuncia all'ultimo momento"), "custody_conflict": _l("Conflitto di custodia"),
               "too_warm": _l("Troppo caldo al ritiro"), "receipt_problem": _l("Problema alla consegna"),
               "no_recipient": _l("Senza ente"), "unapproved_scan": _l("Scansione di un volontario non approvato"),
               # The driver's run (issue 14).
               "cold_chain": _l("Catena del freddo oltre il limite"),
               "too_warm_receipt": _l("Troppo caldo all'arrivo")}


def _day():
    """The day the board shows (?giorno=YYYY-MM-DD), today in Italy by default."""
    try:
        return date.fromisoformat(request.args.get("giorno", ""))
    except ValueError:
        return rules.local_date(utcnow())


def _province(choices):
    """The province filter (?provincia=), or "" for the whole network; unknown ones are refused."""
    province = (request.args.get("provincia") or "").strip()
    if province and province not in choices:
        abort(400, _("Provincia sconosciuta: scegline una dall'elenco."))
    return province


@bp.route("/ritiri")
def board():
    """One day's donations by state, the flagged ones on top; htmx refreshes it every 30 seconds.

    ?provincia= narrows it to one province's stores; ?stato= shows one state's rows
    page by page (?pagina=), as the board shows only each state's first rows.
    """
    day = _day()
    provinces = pickups.board_provinces()
    province = _province(provinces)
    status = request.args.get("stato", "")
    if status and status not in pickups.BOARD_ORDER:
        abort(400, _("Stato sconosciuto: scegline uno della bacheca."))
    page = max(request.args.get("pagina", 1, type=int) or 1, 1)
    shown = pickups.board(day=day, province=province, status=status or None, page=page)
    today = rules.local_date(utcnow())
    return render_page_or_fragment(
        "coordination/board.html", "pickups/_board_live.html", board=shown, flagged=shown.flagged,
        groups=shown.groups, day=day, today=today, previous=day - timedelta(days=1),
        following=day + timedelta(days=1), total=shown.total, flag_labels=FLAG_LABELS, updated=utcnow(),
        provinces=provinces, province=province, state=status, page_number=page)


@bp.route("/ritiri/<int:donation_id>")
def board_donation(donation_id):
    """One donation for the coordinator: flags, change of charity, release of a claim, the full log."""
    return _donation_page(db.get_or_404(Donation, donation_id), request.args)


def _donation_page(donation, values):
    """The donation's page; `values` (query or posted form) carry the search of the change of charity."""
    flags = db.session.scalars(select(Flag).where(Flag.donation_id == donation.id)
                               .order_by(Flag.created_at.desc())).all()
    return render_template("coordination/board_donation.html", donation=donation, flags=flags,
                           flag_labels=FLAG_LABELS, form=DecisionForm(), recipient=_recipient_choice(donation, values),
                           override=values.get("override") == "1", timeline=timeline(donation, include_refused=True))


def _recipient_choice(donation, values):
    """The charity field of «Cambia ente»: the current one, the eligible nearest (in the proposal's order)
    and any active charity found by name or town (the override covers those failing the rules).

    Bounded: the proposal's rules run on the charities nearest to the store only
    (recipients.nearby_candidates), whatever the size of the network.
    """
    if donation.status not in ("posted", "claimed"):
        return None
    nearby = recipients.nearby_candidates(donation.store, donation.category, donation.needs_cold,
                                          donation.window_start, donation.window_end, kg=donation.kg_declared,
                                          crates=donation.crates_count, exclude_id=donation.id)
    options = [choices.option(c.org.id, c.org.name, c.org.municipality, c.distance_km) for c in nearby]
    return choices.field("recipient_id", "ente", values, values.get("recipient_id") or donation.recipient_id,
                         [(_("Adatti, i più vicini al punto vendita"), options)], _("Ente"), required=True)


def _after(result, donation_id):
    flash(message(result), category(result))
    return redirect(url_for("coordination.board_donation", donation_id=donation_id))


@bp.route("/ritiri/<int:donation_id>/ente", methods=["POST"])
def reassign(donation_id):
    """Send the donation to another charity (donation.reassign), with an override if confirmed.

    The «Cerca» button without script posts here too: the page comes back with the matches, nothing applied.
    """
    if choices.searching(request.form):
        return _donation_page(db.get_or_404(Donation, donation_id), request.form)
    result = apply_form("donation.reassign", donation_id=donation_id,
                        recipient_id=request.form.get("recipient_id"),
                        override=request.form.get("override") == "1")
    return _after(result, donation_id)


@bp.route("/ritiri/<int:donation_id>/libera", methods=["POST"])
def release(donation_id):
    """Free a claim (a volunteer who will not come) so others can take it (donation.unclaim)."""
    reason = " ".join((request.form.get("reason") or "").split())
    result = apply_form("donation.unclaim", donation_id=donation_id, reason=reason)
    return _after(result, donation_id)


@bp.route("/segnalazioni/<int:flag_id>/gestita", methods=["POST"])
def resolve_flag(flag_id):
    """Mark a flag as handled: it leaves the top of the board (it stays in the record)."""
    flag = db.get_or_404(Flag, flag_id)
    if DecisionForm().validate_on_submit():
        pickups.resolve_flag(flag, current_user)
        flash(_("Segnalazione segnata come gestita."), "success")
    return redirect(request.form.get("next") if _local(request.form.get("next"))
                    else url_for("coordination.board_donation", donation_id=flag.donation_id))


def _local(target):
    return bool(target) and target.startswith("/") and not target.startswith("//")
