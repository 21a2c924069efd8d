"""Views under /documenti (and each area's document list): printable pages and their PDFs."""
from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.documents.blueprint import bp
from app.impact import params
from app.domain import STORAGE_LABELS, category_label
from app.extensions import db
from app.models import Organisation, TransportDocument
from app.permissions import require_org, role_required
from app.services import ServiceError
from app.services.impact import documents, pdf, periods


def _document_or_404(document_id):
    document = db.session.get(TransportDocument, document_id)
    if document is None:
        abort(404)
    if not documents.can_view(current_user, document):
        abort(403, _("Questo documento di trasporto non riguarda te né la tua organizzazione."))
    return document


def _pdf(body, name):
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


def _period(default="12m"):
    try:
        return periods.parse_period(request.args.get("periodo") or default)
    except ServiceError as error:
        abort(400, error.message)


def _organisation(org_id, kind):
    org = db.session.get(Organisation, org_id)
    if org is None or org.kind != kind:
        abort(404)
    return org


@bp.route("/documenti/ddt/<int:document_id>")
@login_required
def ddt(document_id):
    """A transport document, printable; marked received once the charity confirmed receipt."""
    document = _document_or_404(document_id)
    return render_template("documents/ddt.html", document=document, snap=document.snapshot,
                           signed=documents.receipt(document), category_label=category_label,
                           storage_labels=STORAGE_LABELS)


@bp.route("/documenti/ddt/<int:document_id>.pdf")
@login_required
def ddt_pdf(document_id):
    """The transport document as PDF."""
    document = _document_or_404(document_id)
    return _pdf(pdf.ddt_pdf(document, documents.receipt(document)),
                f"DDT-{document.number}-{document.year}-{document.store_id}.pdf")


@bp.route("/documenti/donazione/<int:donation_id>/ddt")
@login_required
def for_donation(donation_id):
    """The DDT of a donation (404 until it is picked up): a stable link for donation pages."""
    document = documents.for_donation(donation_id)
    if document is None:
        abort(404, _("Il documento di trasporto si genera al ritiro: questa donazione non è ancora stata ritirata."))
    return redirect(url_for("documents.ddt", document_id=_document_or_404(document.id).id))


def _summary(store_id, year, month):
    store = _organisation(store_id, "store")
    require_org("store", store.id)
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        abort(404)
    return documents.monthly_summary(store, year, month)


@bp.route("/documenti/riepilogo/<int:store_id>/<int:year>/<int:month>")
@login_required
def summary(store_id, year, month):
    """The donor's monthly summary (lots, kg, value, EUR 15,000 flags)."""
    return render_template("documents/summary.html", summary=_summary(store_id, year, month),
                           threshold=documents.THRESHOLD_EUR)


@bp.route("/documenti/riepilogo/<int:store_id>/<int:year>/<int:month>.pdf")
@login_required
def summary_pdf(store_id, year, month):
    """The donor's monthly summary as PDF."""
    data = _summary(store_id, year, month)
    return _pdf(pdf.summary_pdf(data), f"riepilogo-{year}-{month:02d}-{store_id}.pdf")


def _declaration(charity_id, year, quarter):
    charity = _organisation(charity_id, "charity")
    require_org("charity", charity.id)
    if not (2000 <= year <= 2100 and 1 <= quarter <= 4):
        abort(404)
    return documents.quarterly_declaration(charity, year, quarter,
                                           signatory=request.args.get("firmatario", current_user.name),
                                           role=request.args.get("qualifica", _("legale rappresentante")))


@bp.route("/documenti/dichiarazione/<int:charity_id>/<int:year>/<int:quarter>")
@login_required
def declaration(charity_id, year, quarter):
    """The charity's quarterly declaration: the quarter's DDTs, commitment, signatory and date."""
    return render_template("documents/declaration.html", declaration=_declaration(charity_id, year, quarter))


@bp.route("/documenti/dichiarazione/<int:charity_id>/<int:year>/<int:quarter>.pdf")
@login_required
def declaration_pdf(charity_id, year, quarter):
    """The quarterly declaration as PDF."""
    data = _declaration(charity_id, year, quarter)
    return _pdf(pdf.declaration_pdf(data), f"dichiarazione-{year}-T{quarter}-{charity_id}.pdf")


def _after():
    """?dopo=<id>: the last DDT of the previous page (the guard refuses ids out of range)."""
    return request.args.get("dopo", type=int)


@bp.route("/negozio/documenti")
@role_required("store")
def store_documents():
    """A store's DDTs of the period and its monthly summaries."""
    store = current_user.org_for("store") or abort(403)
    period = _period()
    ddts, after = documents.documents_page(period, _after(), store_id=store.id)
    return render_template("documents/list.html", org=store, period=period, periods=periods.period_choices(),
                           ddts=ddts, after=after, months=list(reversed(period.months)), quarters=[],
                           month_label=periods.month_label)


@bp.route("/ente/documenti")
@role_required("charity")
def charity_documents():
    """A charity's incoming DDTs of the period and its quarterly declarations."""
    charity = current_user.org_for("charity") or abort(403)
    period = _period()
    quarters = sorted({(y, (m - 1) // 3 + 1) for y, m in period.months}, reverse=True)
    ddts, after = documents.documents_page(period, _after(), recipient_id=charity.id)
    return render_template("documents/list.html", org=charity, period=period, periods=periods.period_choices(),
                           ddts=ddts, after=after, months=[], quarters=quarters, month_label=periods.month_label)


@bp.route("/coordinamento/documenti")
@role_required("coordinator")
def coordinator_documents():
    """Every DDT of the period, optionally for one store, with links to its monthly summaries."""
    period = _period(default=periods.month_period(periods.today().year, periods.today().month).key)
    store = None
    if request.args.get("negozio"):
        try:
            store = _organisation(int(request.args["negozio"]), "store")
        except ValueError:
            abort(400, _("Punto vendita non trovato: scegline uno dall'elenco."))
    # The store is searched (a few matches by name or town), not chosen from every store of the network.
    picker = params.picker("negozio", request.args, store, page="documenti")
    ddts, after = documents.documents_page(period, _after(), store_id=store.id if store else None)
    return render_template("documents/list.html", org=store, period=period, periods=periods.period_choices(),
                           ddts=ddts, after=after, months=list(reversed(period.months)) if store else [],
                           quarters=[], picker=picker, suggestions_limit=params.SUGGESTIONS,
                           min_query=params.MIN_QUERY, month_label=periods.month_label)
