"""Documents: the DDT page and PDF with every required field, the monthly summary, the quarterly declaration."""
import io
import re

import pytest
from pypdf import PdfReader

from app.extensions import db
from app.services.impact import documents
from tests.impact_helpers import dataset, make_donation, issue_ddt, rome  # noqa: F401


def pdf_text(response):
    """The text of a PDF response, whitespace folded."""
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def ddt_fields(dataset):
    """Every field DOMAIN.md requires on the DDT of D1, as the page and the PDF must print it."""
    return ["1/2025", "10/03/2025 11:00",  # number and date (= start of transport, Rome time)
            "Super Uno", "Via Indipendenza 1", "P. IVA 01234567890",  # donor with address and VAT no.
            "Caritas Prova", "Via del Monte 5", "Bologna",  # recipient
            "Giulia Rossi",  # carrier (the volunteer)
            "Mele golden e pere", "Frutta e verdura", "10 kg", "Facilmente deperibile", "sì",  # goods
            "Cessione gratuita L. 166/2016",  # reason
            "Inizio trasporto", "Via Indipendenza 1, Bologna",  # start of transport: date/time above, place
            "Destinazione", "Via del Monte 5, Bologna",
            "37,00 €",  # value at last selling price
            "Ricevuto", "9,5 kg", "Anna Ente"]  # signed for by the charity (receipt confirmation)


def test_ddt_pdf_contains_every_required_field(client, dataset, login_as):
    login_as(dataset.v1)
    text = pdf_text(client.get(f"/documenti/ddt/{dataset.ddt[1].id}.pdf"))
    missing = [field for field in ddt_fields(dataset) if field not in text]
    assert not missing, (missing, text)
    assert "Cassette 2" in text.replace("Facilmente deperibile ", "") or " 2 sì" in text


def test_ddt_page_has_every_field_and_is_marked_received(client, dataset, login_as):
    login_as(dataset.staff)
    html = re.sub(r"\s+", " ", client.get(f"/documenti/ddt/{dataset.ddt[1].id}").get_data(as_text=True))
    for field in ddt_fields(dataset):
        assert field.replace("10/03/2025 11:00", "10/03/2025 11:00") in html, field
    assert "style=" not in html and "<script>" not in html


def test_ddt_waits_for_the_charity_signature_until_receipt(client, dataset, login_as):
    login_as(dataset.v2)
    html = client.get(f"/documenti/ddt/{dataset.ddt[2].id}").get_data(as_text=True)
    assert "In viaggio" in html and "Ricevuto il" not in html
    text = pdf_text(client.get(f"/documenti/ddt/{dataset.ddt[2].id}.pdf"))
    assert "In attesa della conferma di ricezione" in text


def test_the_ddt_keeps_the_names_it_was_issued_with(client, dataset, login_as):
    dataset.v1.name = "Giulia Rossi Bianchi"
    dataset.s1.name = "Super Uno Nuovo"
    db.session.commit()
    login_as(dataset.v1)
    html = client.get(f"/documenti/ddt/{dataset.ddt[1].id}").get_data(as_text=True)
    assert "Giulia Rossi<" in html.replace("</dd>", "<") and "Super Uno Nuovo" not in html


@pytest.mark.parametrize("who,status", [("v1", 200), ("v2", 403), ("staff", 200), ("other_store", 403),
                                        ("own_store", 200), ("coordinator", 200), ("other_charity", 403)])
def test_only_the_parties_may_read_a_ddt(client, dataset, login_as, make_user, who, status):
    users = {"v1": dataset.v1, "v2": dataset.v2, "staff": dataset.staff,
             "other_store": lambda: make_user("store", org=dataset.s2),
             "own_store": lambda: make_user("store", org=dataset.s1),
             "coordinator": lambda: make_user("coordinator"), "other_charity": lambda: make_user("charity", org=dataset.c2)}
    user = users[who]() if callable(users[who]) else users[who]
    login_as(user)
    assert client.get(f"/documenti/ddt/{dataset.ddt[1].id}").status_code == status
    assert client.get(f"/documenti/ddt/{dataset.ddt[1].id}.pdf").status_code == status


def test_donation_link_leads_to_its_ddt_or_explains(client, dataset, login_as):
    login_as(dataset.v1)
    response = client.get(f"/documenti/donazione/{dataset.d[1].id}/ddt")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/documenti/ddt/{dataset.ddt[1].id}")
    missing = client.get(f"/documenti/donazione/{dataset.d[6].id}/ddt")
    assert missing.status_code == 404 and "si genera al ritiro" in missing.get_data(as_text=True)


def test_perishable_follows_storage_and_category():
    assert documents.is_perishable("dispensa", "chilled") and documents.is_perishable("pane_forno", "ambient")
    assert not documents.is_perishable("dispensa", "ambient") and not documents.is_perishable("bevande", "ambient")


def test_monthly_summary_flags_big_non_perishable_donations(client, dataset, login_as, make_user, make_org):
    v = dataset.v1
    big = make_donation(dataset.s1, dataset.c1, status="picked_up", category="dispensa", kg=5000, value_eur=18000.0,
                        posted=rome(2025, 3, 20, 8), window=(rome(2025, 3, 20, 9), rome(2025, 3, 20, 12)),
                        claimed=rome(2025, 3, 20, 8, 5), claimer=v, picked=rome(2025, 3, 20, 10),
                        description="Scatolame in bancali")
    fresh = make_donation(dataset.s1, dataset.c1, status="picked_up", category="frutta_verdura", kg=6000,
                          value_eur=20000.0, posted=rome(2025, 3, 21, 8),
                          window=(rome(2025, 3, 21, 9), rome(2025, 3, 21, 12)), claimed=rome(2025, 3, 21, 8, 5),
                          claimer=v, picked=rome(2025, 3, 21, 10), description="Arance")
    issue_ddt(big, v), issue_ddt(fresh, v)
    summary = documents.monthly_summary(dataset.s1, 2025, 3)
    assert [r["document"].code for r in summary.rows] == ["1/2025", "3/2025", "4/2025"]
    assert [r["over_threshold"] for r in summary.rows] == [False, True, False]
    assert summary.kg == pytest.approx(11010) and summary.value_eur == pytest.approx(38037.0)
    login_as(make_user("store", org=dataset.s1))
    html = client.get(f"/documenti/riepilogo/{dataset.s1.id}/2025/3").get_data(as_text=True)
    assert "DA COMUNICARE" in html and "Scatolame in bancali" in html and "38.037,00 €" in html
    text = pdf_text(client.get(f"/documenti/riepilogo/{dataset.s1.id}/2025/3.pdf"))
    assert "Riepilogo mensile delle cessioni: marzo 2025" in text and "DA COMUNICARE" in text
    assert "18.000,00 €" in text and "P. IVA 01234567890" in text
    assert client.get(f"/documenti/riepilogo/{dataset.s2.id}/2025/3").status_code == 403


def test_quarterly_declaration_lists_the_quarters_received_ddts(client, dataset, login_as):
    login_as(dataset.staff)
    url = f"/documenti/dichiarazione/{dataset.c1.id}/2025/2?firmatario=Anna+Ente&qualifica=presidente"
    html = re.sub(r"\s+", " ", client.get(url).get_data(as_text=True))
    # Caritas Prova received D3 (1/2025 of Super Due) in Q2; D1 is in Q1.
    assert "1/2025" in html and "Super Due" in html and "8 kg" not in html and ">8<" in html
    assert "Il/la sottoscritto/a Anna Ente, in qualità di presidente di Caritas Prova" in html
    text = pdf_text(client.get(url.replace("/2025/2?", "/2025/2.pdf?")))
    for field in ("Dichiarazione trimestrale: 2° trimestre 2025", "1/2025", "15/04/2025", "Super Due", "8 kg",
                  "Anna Ente", "presidente", "finalità istituzionali", "Firmatario", "Data"):
        assert field in text, field
    q1 = documents.quarterly_declaration(dataset.c1, 2025, 1)
    assert [r["document"].code for r in q1.rows] == ["1/2025"] and q1.kg == pytest.approx(9.5)
    assert client.get(f"/documenti/dichiarazione/{dataset.c2.id}/2025/2").status_code == 403


def test_unconfirmed_ddts_are_left_out_of_the_declaration_and_counted(app, dataset):
    declaration = documents.quarterly_declaration(dataset.c2, 2025, 2)
    assert declaration.rows == [] and declaration.pending == 2


def test_document_lists_per_role(client, dataset, login_as, make_user):
    login_as(make_user("store", org=dataset.s1))
    html = client.get("/negozio/documenti?periodo=2025").get_data(as_text=True)
    assert "DDT n. 1/2025" in html and "DDT n. 2/2025" in html and "marzo 2025" in html
    login_as(dataset.staff)
    html = client.get("/ente/documenti?periodo=2025").get_data(as_text=True)
    assert "2° trimestre 2025" in html and "Super Due" in html
    login_as(make_user("coordinator"))
    html = client.get(f"/coordinamento/documenti?periodo=2025&negozio={dataset.s2.id}").get_data(as_text=True)
    assert "Super Due" in html and "Via Indipendenza" not in html
    assert client.get("/coordinamento/documenti?periodo=boh").status_code == 400


def test_document_lists_are_paged_by_keyset(client, dataset, login_as, make_user, monkeypatch):
    monkeypatch.setattr(documents, "DDT_PAGE", 3)
    login_as(make_user("coordinator"))
    first = client.get("/coordinamento/documenti?periodo=2025").get_data(as_text=True)
    # Newest first: the three April DDTs, then a link on from the last of them.
    assert first.count("DDT n.") == 3 and "8 kg" in first and "10 kg" not in first
    after = re.search(r'href="([^"]*dopo=(\d+)[^"]*)"', first)
    assert after and "periodo=2025" in after.group(1)
    second = client.get(after.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert second.count("DDT n.") == 1 and "10 kg" in second and "Documenti precedenti" not in second
    assert "I più recenti" in second
    # An id that is not in this list starts from the top; a non-number too.
    assert client.get("/coordinamento/documenti?periodo=2025&dopo=999999").get_data(as_text=True).count("DDT n.") == 3
    assert client.get("/coordinamento/documenti?periodo=2025&dopo=abc").status_code == 200


def test_documents_page_continues_after_equal_times(app, dataset):
    """Two DDTs issued at the same instant are both listed: the keyset is (issued_at, id)."""
    from app.models import TransportDocument
    from app.services.impact import periods

    rows = db.session.scalars(db.select(TransportDocument).order_by(TransportDocument.id)).all()
    rows[1].issued_at = rows[0].issued_at
    db.session.commit()
    period = periods.parse_period("2025")
    seen, after = [], None
    while True:
        page, after = documents.documents_page(period, after, size=1)
        seen += [d.id for d in page]
        if after is None:
            break
    assert sorted(seen) == sorted(r.id for r in rows) and len(seen) == len(set(seen))


def test_coordinator_searches_the_store_of_the_documents(client, dataset, login_as, make_user):
    login_as(make_user("coordinator"))
    page = client.get("/coordinamento/documenti?periodo=2025").get_data(as_text=True)
    assert "<select id=\"f-negozio\"" not in page and 'name="cerca_negozio"' in page  # no list of every store
    found = client.get("/coordinamento/impatto/organizzazioni?filtro=negozio&per=documenti&cerca_negozio=imola"
                       "&periodo=2025").get_data(as_text=True)
    assert "Super Due" in found and "Super Uno" not in found
    link = re.search(r'href="([^"]+)"', found).group(1).replace("&amp;", "&")
    assert link.startswith("/coordinamento/documenti?") and f"negozio={dataset.s2.id}" in link and "periodo=2025" in link
    chosen = client.get(link).get_data(as_text=True)
    assert "Super Due" in chosen and "Via Indipendenza" not in chosen and "Togli il filtro" in chosen
    assert client.get("/coordinamento/impatto/organizzazioni?filtro=negozio&per=altro").status_code == 400
