"""Views: the coordinators' agreements (list, lapsing, create, edit, status, templates); each organisation's own."""
from datetime import timedelta

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.orm import contains_eager

from app.extensions import db
from app.models import Organisation
from app.models.partners import AGREEMENT_KINDS, Agreement
from app.partners.blueprint import answer, apply_form, bp, own_org_ids, require_party
from app.permissions import role_required
from app.services.pages import agreement_text
from app.services.partners import agreements

PAGE = 50
FIELDS = ("agreement_kind", "starts_on", "ends_on", "signatory_name", "signatory_role", "network_signatory", "notes")


def _search():
    """The ?q= of the list: part of an organisation's name, town or province (spaces tidied, 80 characters)."""
    return " ".join((request.args.get("q") or "").split())[:80]


def _matching(query):
    """The condition on Organisation for the search `query` (None: no search)."""
    if not query:
        return None
    return or_(*(column.icontains(query, autoescape=True) for column in (
        Organisation.name, Organisation.municipality, Organisation.province)))


def _agreements_page(query, after):
    """One page of agreements, soonest to end first (open-ended last), after the agreement `after`."""
    order = (Agreement.ends_on.is_(None), Agreement.ends_on, Agreement.id)
    stmt = select(Agreement).join(Agreement.organisation).options(contains_eager(Agreement.organisation))
    if query:
        stmt = stmt.where(_matching(query))
    last = db.session.get(Agreement, after) if after else None
    if last is not None and last.ends_on is None:
        stmt = stmt.where(Agreement.ends_on.is_(None), Agreement.id > last.id)
    elif last is not None:
        stmt = stmt.where(or_(Agreement.ends_on.is_(None), Agreement.ends_on > last.ends_on,
                              and_(Agreement.ends_on == last.ends_on, Agreement.id > last.id)))
    rows = db.session.scalars(stmt.order_by(*order).limit(PAGE + 1)).all()
    return rows[:PAGE], rows[PAGE - 1].id if len(rows) > PAGE else None, last is not None


def _missing_page(query, day, after):
    """One page of active stores and charities without a signed agreement in force, by name, after `after`."""
    covered = select(Agreement.organisation_id).where(Agreement.status == "signed", Agreement.ends_on >= day)
    where = [Organisation.kind.in_(("store", "charity")), Organisation.active.is_(True),
             Organisation.id.not_in(covered)]
    if query:
        where.append(_matching(query))
    last = db.session.get(Organisation, after) if after else None
    if last is not None:
        where.append(tuple_(Organisation.name, Organisation.id) > tuple_(last.name, last.id))
    rows = db.session.scalars(select(Organisation).where(*where)
                              .order_by(Organisation.name, Organisation.id).limit(PAGE + 1)).all()
    return rows[:PAGE], rows[PAGE - 1].id if len(rows) > PAGE else None, last is not None


@bp.route("/coordinamento/convenzioni")
@role_required("coordinator")
def index():
    """The agreements, soonest to end first, with those about to lapse and partners without one.

    Both lists are searchable (?q= in name, town or province) and keyset-paged, PAGE
    rows at a time: ?dopo=<agreement id> goes on after that agreement,
    ?dopo_senza=<organisation id> after that organisation among those without one.
    """
    day = agreements.today()
    query = _search()
    rows, after, paged = _agreements_page(query, request.args.get("dopo", type=int))
    missing, missing_after, missing_paged = _missing_page(query, day, request.args.get("dopo_senza", type=int))
    return render_template("partners/agreements.html", rows=rows, after=after, paged=paged, query=query,
                           missing=missing, missing_after=missing_after, missing_paged=missing_paged,
                           day=day, kinds=AGREEMENT_KINDS,
                           labels=agreements.KIND_LABELS, agreements=agreements)


@bp.route("/coordinamento/convenzioni/nuova/<int:org_id>", methods=["GET", "POST"])
@role_required("coordinator")
def new(org_id):
    """A new agreement for an organisation (agreement.save), dated from today for a year by default."""
    org = db.get_or_404(Organisation, org_id)
    if request.method == "POST":
        result = apply_form("agreement.save", organisation_id=org.id, **_form_fields())
        if result["status"] != "refused":
            return answer(result, url_for("partners.agreement", agreement_id=result["agreement_id"]),
                          _("Convenzione creata come bozza."))
        return answer(result, url_for("partners.new", org_id=org.id), "")
    day = agreements.today()
    draft = Agreement(organisation=org, kind=agreements.KIND_FOR_ORG.get(org.kind, "other_partner"),
                      starts_on=day, ends_on=day.replace(year=day.year + 1) - timedelta(days=1), status="draft")
    return render_template("partners/agreement_form.html", org=org, agreement=draft, kinds=AGREEMENT_KINDS,
                           labels=agreements.KIND_LABELS, action=url_for("partners.new", org_id=org.id))


def _form_fields():
    return {name: request.form.get(name, "") for name in FIELDS}


@bp.route("/convenzioni/<int:agreement_id>")
@login_required
def agreement(agreement_id):
    """One agreement: its fields, status, text, signed PDF; coordinators also change it."""
    item = db.get_or_404(Agreement, agreement_id)
    require_party(item.organisation_id)
    day = agreements.today()
    return render_template("partners/agreement.html", agreement=item, day=day, agreements=agreements,
                           kinds=AGREEMENT_KINDS, labels=agreements.KIND_LABELS,
                           next_status=agreements.NEXT_STATUS.get(item.status, ()),
                           coordinator=current_user.has_role("coordinator"))


@bp.route("/coordinamento/convenzioni/<int:agreement_id>", methods=["POST"])
@role_required("coordinator")
def edit(agreement_id):
    """Correct an agreement's fields (agreement.save)."""
    item = db.get_or_404(Agreement, agreement_id)
    result = apply_form("agreement.save", agreement_id=item.id, **_form_fields())
    return answer(result, url_for("partners.agreement", agreement_id=item.id), _("Convenzione salvata."))


@bp.route("/coordinamento/convenzioni/<int:agreement_id>/stato", methods=["POST"])
@role_required("coordinator")
def status(agreement_id):
    """Move an agreement to sent, signed or withdrawn (agreement.status)."""
    item = db.get_or_404(Agreement, agreement_id)
    fields = {"status": request.form.get("status", "")}
    if request.form.get("signed_on"):
        fields["signed_on"] = request.form["signed_on"]
    result = apply_form("agreement.status", agreement_id=item.id, **fields)
    return answer(result, url_for("partners.agreement", agreement_id=item.id),
                  _("Stato della convenzione: %(status)s.", status=agreements.STATUS_LABELS.get(
                      fields["status"], fields["status"])))


@bp.route("/coordinamento/convenzioni/modelli/<kind>", methods=["GET", "POST"])
@role_required("coordinator")
def template(kind):
    """Edit the Markdown text of one kind of agreement, with a preview (agreement.template)."""
    if kind not in AGREEMENT_KINDS:
        abort(404)
    if request.method == "POST":
        result = apply_form("agreement.template", agreement_kind=kind, body=request.form.get("body", ""))
        return answer(result, url_for("partners.template", kind=kind), _("Modello salvato."))
    body = agreement_text.template_body(kind)
    return render_template("partners/template.html", kind=kind, body=body, label=agreements.KIND_LABELS[kind],
                           preview=agreement_text.preview(kind, body), placeholders=agreement_text.PLACEHOLDERS,
                           kinds=AGREEMENT_KINDS, labels=agreements.KIND_LABELS)


@bp.route("/convenzioni")
@role_required("store", "charity")
def mine():
    """The agreements of the user's own store or charity."""
    ids = sorted(own_org_ids())
    rows = db.session.scalars(select(Agreement).where(Agreement.organisation_id.in_(ids))
                              .order_by(Agreement.created_at.desc()).limit(PAGE)).all() if ids else []
    day = agreements.today()
    current = {org_id: agreements.current_for(org_id, day) for org_id in ids}
    return render_template("partners/mine.html", rows=rows, day=day, agreements=agreements, current=current,
                           required=agreements.required())
