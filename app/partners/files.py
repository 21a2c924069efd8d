"""Views: the agreement's text (printable page and PDF), the signed PDF (upload and download)."""
from flask import abort, make_response, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.extensions import db
from app.models.partners import Agreement
from app.partners.blueprint import answer, apply_form, bp, require_party
from app.services import ServiceError
from app.services.pages import agreement_text
from app.services.partners import agreements, uploads


def _agreement(agreement_id):
    item = db.get_or_404(Agreement, agreement_id)
    require_party(item.organisation_id)
    return item


@bp.route("/convenzioni/<int:agreement_id>/testo")
@login_required
def text(agreement_id):
    """The agreement's text filled with the organisation's fields, ready to print."""
    item = _agreement(agreement_id)
    return render_template("partners/agreement_text.html", agreement=item, body=agreement_text.html(item),
                           agreements=agreements, day=agreements.today())


@bp.route("/convenzioni/<int:agreement_id>/testo.pdf")
@login_required
def text_pdf(agreement_id):
    """The same text as a PDF (fpdf2)."""
    item = _agreement(agreement_id)
    try:
        data = agreement_text.pdf(item)
    except ServiceError as error:
        abort(503, error.message)
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="convenzione-{item.id}.pdf"'
    return response


@bp.route("/convenzioni/<int:agreement_id>/pdf", methods=["POST"])
@login_required
def upload(agreement_id):
    """Upload the signed PDF: checked by content and size, stored, then attached (agreement.upload)."""
    item = _agreement(agreement_id)
    back = url_for("partners.agreement", agreement_id=item.id)
    sent = request.files.get("file")
    data = sent.read(uploads.max_bytes() + 1) if sent else b""
    try:
        stored = uploads.store(data)
    except ServiceError as error:
        return answer({"status": "refused", "message": error.message}, back, "")
    name = (sent.filename or "convenzione.pdf") if sent else "convenzione.pdf"
    result = apply_form("agreement.upload", agreement_id=item.id, file=stored, name=name, size=len(data))
    return answer(result, back, _("PDF firmato caricato."))


@bp.route("/convenzioni/<int:agreement_id>/firmata.pdf")
@login_required
def signed_pdf(agreement_id):
    """The signed PDF, only to coordinators and that organisation's staff."""
    item = _agreement(agreement_id)
    path = uploads.path_of(item.pdf_file)
    if path is None:
        abort(404, _("Nessun PDF firmato per questa convenzione."))
    response = send_file(path, mimetype="application/pdf", download_name=f"convenzione-{item.id}-firmata.pdf",
                         max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
