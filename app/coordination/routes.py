"""Views under /coordinamento."""
from urllib.parse import quote

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import case, func, or_, select, tuple_

from app.coordination.blueprint import bp
from app.coordination.forms import CharityForm, DecisionForm, InvitationForm, OrganisationForm
from app.extensions import db
from app.geo import PROVINCE, coordinates
from app.htmx import render_page_or_fragment, wants_fragment
from app.urls import public_url
from app.models import Invitation, Membership, Organisation, User, VolunteerProfile, VolunteerRegisterEntry
from app.services import ServiceError
from app.services.impact import rollups
from app.services.notify import mail
from app.services.people import accounts
from app.services.people import counts as network_counts
from app.services.people import register as volunteer_register
from app.services.people.orgs import format_hours
from app.services.people.qr import qr_svg

VOLUNTEER_FILTERS = ("pending", "approved", "suspended", "rejected")


@bp.route("/")
def home():
    """The coordinator's start page: what needs attention now."""
    # One read of a few rows kept exact by every flush (network_counts), not a count of 50,000 volunteers.
    stored = network_counts.stored()
    counts = {name.split(":", 1)[1]: n for name, n in stored.items() if name.startswith("org:")}
    pending, approved = stored.get("volunteer:pending", 0), stored.get("volunteer:approved", 0)
    open_invites = [i for i in db.session.scalars(
        select(Invitation).where(Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
        .order_by(Invitation.created_at.desc()).limit(20)) if i.state == "open"]
    return render_template("coordination/home.html", pending=pending, counts=counts,
                           approved=approved, open_invites=open_invites)


VOLUNTEER_PAGE = 50  # volunteers on one page of the list


@bp.route("/volontari")
def volunteers():
    """Volunteers of one status (pending first), by sign-up time, searchable, keyset-paged.

    ?q= searches name and email (case-insensitive); ?dopo=<user id> goes on after
    that volunteer (the last of the previous page), whatever their status is now.
    The tabs count every status in one GROUP BY.
    """
    status = request.args.get("stato", "pending")
    if status not in VOLUNTEER_FILTERS:
        status = "pending"
    query = " ".join((request.args.get("q") or "").split())[:80]
    where = [VolunteerProfile.status == status]
    if query:
        where.append(or_(User.name.icontains(query, autoescape=True), User.email.icontains(query, autoescape=True)))
    after = request.args.get("dopo", type=int)
    last = db.session.get(VolunteerProfile, after) if after and after > 0 else None
    if last is not None:
        where.append(tuple_(VolunteerProfile.created_at, VolunteerProfile.user_id) > tuple_(last.created_at,
                                                                                            last.user_id))
    rows = db.session.scalars(select(User).join(VolunteerProfile, VolunteerProfile.user_id == User.id)
                              .where(*where).order_by(VolunteerProfile.created_at, VolunteerProfile.user_id)
                              .limit(VOLUNTEER_PAGE + 1)).all()
    more, rows = len(rows) > VOLUNTEER_PAGE, rows[:VOLUNTEER_PAGE]
    counts = network_counts.volunteers_by_status()
    return render_page_or_fragment("coordination/volunteers.html", "coordination/_volunteer_list.html",
                                   volunteers=rows, current=status, filters=VOLUNTEER_FILTERS, counts=counts,
                                   query=query, after=rows[-1].id if more else None,
                                   paged=last is not None, lost_cursor=bool(after) and last is None,
                                   form=DecisionForm())


@bp.route("/volontari/<int:user_id>/<any(approve, reject, suspend, reinstate):decision>",
          methods=["POST"])
def decide(user_id, decision):
    """Approve, reject, suspend or reinstate a volunteer (htmx swaps the row)."""
    volunteer = db.session.get(User, user_id)
    if volunteer is None or volunteer.volunteer is None:
        abort(404)
    form = DecisionForm()
    error = None
    if form.validate_on_submit():
        try:
            accounts.decide_volunteer(volunteer, current_user, decision, form.note.data or "")
        except ServiceError as exc:
            error = exc.message
    else:
        error = _("Modulo non valido: ricarica la pagina.")
    if error is None:
        messages = {"approve": _("%(name)s è stato approvato."), "reject": _("%(name)s è stato respinto."),
                    "suspend": _("%(name)s è stato sospeso."), "reinstate": _("%(name)s è di nuovo attivo.")}
        message, category = messages[decision] % {"name": volunteer.name}, "success"
    else:
        message, category = error, "error"
    if wants_fragment():
        return render_template("coordination/_volunteer_row.html", v=volunteer, form=DecisionForm(),
                               message=message, category=category), 400 if error else 200
    flash(message, category)
    return redirect(url_for("coordination.volunteers", stato=request.args.get("stato", "pending")))


REGISTER_PAGE = 50  # register entries on one page


@bp.route("/registro-volontari")
def register():
    """The hash-chained volunteer register, newest first, keyset-paged by seq (?dopo=<seq>).

    The integrity shown is the last full check's plus this view's bounded check of
    the entries after its checkpoint (app/services/people/register.py).
    """
    after = request.args.get("dopo", type=int)
    where = [VolunteerRegisterEntry.seq < after] if after and after > 0 else []
    entries = db.session.scalars(select(VolunteerRegisterEntry).where(*where)
                                 .order_by(VolunteerRegisterEntry.seq.desc()).limit(REGISTER_PAGE + 1)).all()
    more, entries = len(entries) > REGISTER_PAGE, entries[:REGISTER_PAGE]
    return render_template("coordination/register.html", entries=entries, check=volunteer_register.quick_check(),
                           after=entries[-1].seq if more else None, paged=bool(where), form=DecisionForm())


@bp.route("/registro-volontari/verifica", methods=["POST"])
def verify_register():
    """Run the full check of the register now (it also becomes the checkpoint of later views)."""
    if not DecisionForm().validate_on_submit():
        flash(_("Modulo non valido: ricarica la pagina."), "error")
        return redirect(url_for("coordination.register"))
    check = volunteer_register.full_check()
    if check.broken_seq:
        flash(_("Verifica completa eseguita: il registro è stato alterato a partire dalla riga %(n)d.",
                n=check.broken_seq), "error")
    else:
        flash(ngettext("Verifica completa eseguita: registro integro, %(num)d riga.",
                       "Verifica completa eseguita: registro integro, %(num)d righe.", check.last_seq or 0), "success")
    return redirect(url_for("coordination.register"))


ORG_PAGE = 50  # organisations on one page of the list


@bp.route("/organizzazioni")
def organisations():
    """Stores and charities of the network: active ones first, by name, searchable, keyset-paged.

    ?q= searches name, municipality and province; ?dopo=<id> goes on after that
    organisation (the last of the previous page).
    """
    kind = request.args.get("tipo", "store")
    if kind not in ("store", "charity", "coordination"):
        kind = "store"
    query = " ".join((request.args.get("q") or "").split())[:80]
    rank = case((Organisation.active.is_(True), 0), else_=1)
    where = [Organisation.kind == kind]
    if query:
        where.append(or_(*(column.icontains(query, autoescape=True) for column in (
            Organisation.name, Organisation.municipality, Organisation.province))))
    after = request.args.get("dopo", type=int)
    last = db.session.get(Organisation, after) if after else None
    paged = last is not None and last.kind == kind
    if paged:
        where.append(tuple_(rank, Organisation.name, Organisation.id) > tuple_(0 if last.active else 1, last.name,
                                                                              last.id))
    orgs = db.session.scalars(select(Organisation).where(*where)
                              .order_by(rank, Organisation.name, Organisation.id).limit(ORG_PAGE + 1)).all()
    more, orgs = len(orgs) > ORG_PAGE, orgs[:ORG_PAGE]
    return render_template("coordination/organisations.html", orgs=orgs, kind=kind, query=query,
                           after=orgs[-1].id if more else None, paged=paged)


def _form_for(kind, org=None):
    form = (CharityForm if kind == "charity" else OrganisationForm)(obj=org)
    if org is not None and kind == "charity" and request.method == "GET":
        form.receiving_hours.data = format_hours(org.receiving_hours)
    return form


def _save(form, org):
    for field in ("name", "address", "municipality", "vat_number", "phone", "email", "notes"):
        setattr(org, field, (getattr(form, field).data or "").strip())
    org.lat, org.lon = form.lat.data, form.lon.data
    if org.lat is None or org.lon is None:
        org.lat, org.lon = coordinates(org.municipality) or (None, None)
    org.province = PROVINCE
    if org.kind == "charity":
        org.receiving_hours = form.parsed_hours
        org.categories_accepted = form.categories_accepted.data
        org.cold_storage = form.cold_storage.data
        org.people_served_week = form.people_served_week.data


@bp.route("/organizzazioni/nuova/<any(store, charity):kind>", methods=["GET", "POST"])
def new_organisation(kind):
    """Add a store or a charity."""
    form = _form_for(kind)
    if form.validate_on_submit():
        org = Organisation(kind=kind)
        _save(form, org)
        db.session.add(org)
        db.session.commit()
        flash(_("%(name)s aggiunto. Ora puoi invitare il personale.", name=org.name), "success")
        return redirect(url_for("coordination.organisation", org_id=org.id))
    return render_template("coordination/organisation_form.html", form=form, kind=kind, org=None), \
        400 if request.method == "POST" else 200


@bp.route("/organizzazioni/<int:org_id>", methods=["GET", "POST"])
def organisation(org_id):
    """An organisation: details (editable), staff, invitations."""
    org = db.get_or_404(Organisation, org_id)
    form = _form_for(org.kind, org)
    if org.kind != "coordination" and form.validate_on_submit():
        municipality = org.municipality
        _save(form, org)
        if org.kind == "store" and org.municipality != municipality:
            db.session.flush()
            rollups.move_store(org.id)  # the open data counts its food under the corrected municipality
        db.session.commit()
        flash(_("Dati salvati."), "success")
        return redirect(url_for("coordination.organisation", org_id=org.id))
    staff = db.session.scalars(select(Membership).where(Membership.organisation_id == org.id)).all()
    invites = db.session.scalars(select(Invitation).where(Invitation.organisation_id == org.id)
                                 .order_by(Invitation.created_at.desc())).all()
    return render_template("coordination/organisation.html", org=org, form=form, staff=staff,
                           invites=invites, invite_form=InvitationForm(),
                           invite_mails=mail.latest_for_invitations([i.id for i in invites]),
                           hours=format_hours(org.receiving_hours)), \
        400 if request.method == "POST" else 200


@bp.route("/organizzazioni/<int:org_id>/attiva", methods=["POST"])
def toggle_active(org_id):
    """Deactivate or reactivate an organisation (history stays)."""
    org = db.get_or_404(Organisation, org_id)
    if DecisionForm().validate_on_submit():
        org.active = not org.active
        db.session.commit()
        flash(_("Organizzazione riattivata.") if org.active else _("Organizzazione disattivata."), "info")
    return redirect(url_for("coordination.organisation", org_id=org.id))


@bp.route("/organizzazioni/<int:org_id>/inviti", methods=["POST"])
def invite(org_id):
    """Create a single-use invitation and show it as link, QR code and WhatsApp share."""
    org = db.get_or_404(Organisation, org_id)
    form = InvitationForm()
    if not form.validate_on_submit():
        flash(_("Invito non creato: controlla i dati."), "error")
        return redirect(url_for("coordination.organisation", org_id=org.id))
    invitation, token = accounts.create_invitation(org, current_user, form.email.data or "",
                                                   form.note.data or "")
    link = public_url("auth.invitation", token=token)
    text = _("Ciao! Sei invitato su Raccolto per %(org)s. Apri questo link (vale una sola volta): %(link)s",
             org=org.name, link=link)
    return render_template("coordination/invitation_created.html", org=org, invitation=invitation,
                           link=link, qr=qr_svg(link), whatsapp="https://wa.me/?text=" + quote(text))


@bp.route("/inviti/<int:invitation_id>/annulla", methods=["POST"])
def revoke(invitation_id):
    """Revoke an invitation that has not been used yet."""
    invitation = db.get_or_404(Invitation, invitation_id)
    if DecisionForm().validate_on_submit():
        accounts.revoke_invitation(invitation)
        flash(_("Invito annullato."), "info")
    return redirect(url_for("coordination.organisation", org_id=invitation.organisation_id))
