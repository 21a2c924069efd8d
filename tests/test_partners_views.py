"""Agreement pages per role: coordinators manage, each organisation reads its own; the text PDF; the signed PDF upload."""
import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.extensions import db
from app.models import Operation
from app.models.partners import Agreement
from tests.partners_support import sign  # noqa: F401


def _pdf_bytes(text="Convenzione firmata"):
    """A small real PDF (fpdf2), as a scanner would make it."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, text)
    return bytes(pdf.output())


@pytest.fixture
def parties(make_org, make_user):
    """A store with a draft agreement, its clerk, another store's clerk, a coordinator, a volunteer."""
    store = make_org("store", name="Coop Porta Nuova", vat_number="IT01234567890", address="Via Indipendenza 9",
                     municipality="Bologna", province="BO")
    agreement = Agreement(organisation_id=store.id, kind="store_donation", status="draft",
                          signatory_name="Giulia Verdi", signatory_role="Direttrice del punto vendita",
                          network_signatory="Provincia di Bologna, Ufficio politiche sociali")
    from datetime import date

    agreement.starts_on, agreement.ends_on = date(2027, 1, 1), date(2027, 12, 31)
    db.session.add(agreement)
    db.session.commit()
    return type("Parties", (), {"store": store, "agreement": agreement, "clerk": make_user("store", org=store),
                                "other": make_user("store"), "coordinator": make_user("coordinator"),
                                "volunteer": make_user("volunteer"), "charity": make_user("charity")})


def test_the_coordinator_sees_every_agreement_and_who_has_none(client, login_as, parties, make_org):
    make_org("charity", name="Mensa senza convenzione")
    login_as(parties.coordinator)
    body = client.get("/coordinamento/convenzioni").get_data(as_text=True)
    assert "Coop Porta Nuova" in body and "Mensa senza convenzione" in body


@pytest.mark.parametrize("who,status", [("clerk", 403), ("volunteer", 403), ("charity", 403), (None, 302)])
def test_others_cannot_open_the_agreements_list(client, login_as, parties, who, status):
    if who:
        login_as(getattr(parties, who))
    assert client.get("/coordinamento/convenzioni").status_code == status


@pytest.mark.parametrize("who,status", [("coordinator", 200), ("clerk", 200), ("other", 403), ("volunteer", 403)])
def test_an_agreement_is_visible_to_coordinators_and_its_organisation_only(client, login_as, parties, who, status):
    login_as(getattr(parties, who))
    agreement_id = parties.agreement.id
    for url in (f"/convenzioni/{agreement_id}", f"/convenzioni/{agreement_id}/testo",
                f"/convenzioni/{agreement_id}/testo.pdf"):
        assert client.get(url).status_code == status, url


def test_the_agreement_pdf_has_the_name_vat_number_signatory_and_dates(client, login_as, parties):
    login_as(parties.coordinator)
    response = client.get(f"/convenzioni/{parties.agreement.id}/testo.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    text = " ".join(text.split())
    for expected in ("Coop Porta Nuova", "IT01234567890", "Giulia Verdi", "1 gennaio 2027", "31 dicembre 2027"):
        assert expected in text, expected


def test_the_printable_text_fills_the_template_safely(client, login_as, parties):
    parties.store.name = "Coop [clic](javascript:alert(1)) <b>x</b>"
    db.session.commit()
    login_as(parties.coordinator)
    body = client.get(f"/convenzioni/{parties.agreement.id}/testo").get_data(as_text=True)
    assert "Giulia Verdi" in body and "IT01234567890" in body
    assert 'href="javascript' not in body and "<b>x</b>" not in body


def test_the_coordinator_edits_the_template_and_the_text_follows(client, login_as, parties):
    login_as(parties.coordinator)
    response = client.post("/coordinamento/convenzioni/modelli/store_donation",
                           data={"body": "# Accordo\n\nTra la rete e **{{ ente }}** ({{ partita_iva }})."})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Operation).where(
        Operation.kind == "agreement.template", Operation.status == "applied")) == 1
    body = client.get(f"/convenzioni/{parties.agreement.id}/testo").get_data(as_text=True)
    assert "<strong>Coop Porta Nuova</strong> (IT01234567890)" in body


def test_a_clerk_cannot_edit_templates_or_agreements(client, login_as, parties):
    login_as(parties.clerk)
    assert client.post("/coordinamento/convenzioni/modelli/store_donation", data={"body": "x"}).status_code == 403
    assert client.post(f"/coordinamento/convenzioni/{parties.agreement.id}/stato",
                       data={"status": "signed"}).status_code == 403
    db.session.refresh(parties.agreement)
    assert parties.agreement.status == "draft"


def test_the_coordinator_signs_through_the_form(client, login_as, parties):
    login_as(parties.coordinator)
    client.post(f"/coordinamento/convenzioni/{parties.agreement.id}/stato", data={"status": "sent"})
    response = client.post(f"/coordinamento/convenzioni/{parties.agreement.id}/stato", data={"status": "signed"},
                           follow_redirects=True)
    assert response.status_code == 200
    db.session.refresh(parties.agreement)
    assert parties.agreement.status == "signed"


def test_a_new_agreement_through_the_form(client, login_as, parties, make_org):
    charity = make_org("charity", name="Emporio Solidale")
    login_as(parties.coordinator)
    assert "Emporio Solidale" in client.get(f"/coordinamento/convenzioni/nuova/{charity.id}").get_data(as_text=True)
    response = client.post(f"/coordinamento/convenzioni/nuova/{charity.id}", data={
        "agreement_kind": "charity_reception", "starts_on": "2027-01-01", "ends_on": "2027-12-31",
        "signatory_name": "Don Paolo", "signatory_role": "Presidente", "network_signatory": "", "notes": ""})
    created = db.session.scalar(select(Agreement).where(Agreement.organisation_id == charity.id))
    assert response.status_code == 302 and created.status == "draft" and created.signatory_name == "Don Paolo"
    bad = client.post(f"/coordinamento/convenzioni/nuova/{charity.id}", data={
        "agreement_kind": "charity_reception", "starts_on": "2027-12-31", "ends_on": "2027-01-01"}, follow_redirects=True)
    assert "finisce prima di cominciare" in bad.get_data(as_text=True)


def test_the_signed_pdf_upload_and_download(client, login_as, parties):
    login_as(parties.clerk)
    data = _pdf_bytes()
    response = client.post(f"/convenzioni/{parties.agreement.id}/pdf",
                           data={"file": (io.BytesIO(data), "firmata.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.refresh(parties.agreement)
    assert parties.agreement.pdf_name == "firmata.pdf" and parties.agreement.pdf_size == len(data)
    assert client.get(f"/convenzioni/{parties.agreement.id}/firmata.pdf").data == data
    login_as(parties.other)
    assert client.get(f"/convenzioni/{parties.agreement.id}/firmata.pdf").status_code == 403
    login_as(parties.coordinator)
    assert client.get(f"/convenzioni/{parties.agreement.id}/firmata.pdf").status_code == 200


@pytest.mark.parametrize("content,message", [
    (b"GIF89a not a pdf at all", "non è un PDF"),
    (b"%PDF-1.7\n garbage that is not a document", "danneggiato"),
    (b"", "Scegli il file"),
], ids=["image renamed .pdf", "fake header", "empty"])
def test_the_upload_refuses_what_is_not_a_pdf(client, login_as, parties, content, message):
    login_as(parties.coordinator)
    response = client.post(f"/convenzioni/{parties.agreement.id}/pdf",
                           data={"file": (io.BytesIO(content), "convenzione.pdf")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    db.session.refresh(parties.agreement)
    assert parties.agreement.pdf_file == ""


def test_the_upload_refuses_a_file_too_large(app, client, login_as, parties, monkeypatch):
    monkeypatch.setitem(app.config, "AGREEMENT_PDF_MAX_MB", 0.001)
    login_as(parties.coordinator)
    response = client.post(f"/convenzioni/{parties.agreement.id}/pdf",
                           data={"file": (io.BytesIO(_pdf_bytes("x" * 50) + b"%" * 2000), "big.pdf")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "supera" in response.get_data(as_text=True)


def test_an_upload_operation_cannot_point_outside_the_folder(parties):
    from app.services import ops

    result = ops.apply({"op_id": ops.new_op_id(), "kind": "agreement.upload", "agreement_id": parties.agreement.id,
                        "file": "../../etc/passwd"}, parties.coordinator)
    assert result["code"] == "invalid" and result["field"] == "file"


def test_the_coordinator_home_shows_agreements_about_to_lapse(client, login_as, parties, sign):
    from app.services.partners.agreements import today

    sign(parties.store, today(), starts=-300, ends=12)
    login_as(parties.coordinator)
    body = client.get("/coordinamento/").get_data(as_text=True)
    assert "Convenzioni in scadenza" in body and "scade tra 12 giorni" in body


def test_staff_see_their_own_agreements(client, login_as, parties, sign, app, monkeypatch):
    from app.services.partners.agreements import today

    monkeypatch.setitem(app.config, "AGREEMENTS_REQUIRED", True)
    login_as(parties.clerk)
    assert "Nessuna convenzione firmata e in corso" in client.get("/convenzioni").get_data(as_text=True)
    sign(parties.store, today(), ends=30)
    assert "Convenzione in corso fino al" in client.get("/convenzioni").get_data(as_text=True)
    login_as(parties.volunteer)
    assert client.get("/convenzioni").status_code == 403


def test_the_store_home_warns_when_the_agreement_is_missing_or_ending(client, login_as, parties, sign, app,
                                                                       monkeypatch):
    from app.services.partners.agreements import today

    monkeypatch.setitem(app.config, "AGREEMENTS_REQUIRED", True)
    login_as(parties.clerk)
    assert "Nessuna convenzione firmata e in corso" in client.get("/negozio/").get_data(as_text=True)
    sign(parties.store, today(), ends=30)
    assert "La vostra convenzione scade il" in client.get("/negozio/").get_data(as_text=True)
