"""The text of an agreement: an editable Markdown template per kind, filled with the organisation's fields.

Placeholders are written `{{ name }}` (see PLACEHOLDERS). Values are escaped
for Markdown before they go in, so an organisation's name cannot add links or
markup, and the result is rendered and sanitised like campaign pages
(pages/markdown.py). The PDF (fpdf2, impact/pdf.py's layout) prints the same
fields and text.
"""
import re

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.partners import AgreementTemplate
from app.services.impact.pdf import _Document
from app.services.pages import markdown
from app.services.partners import agreements

PLACEHOLDERS = {
    "ente": _l("nome dell'organizzazione"), "indirizzo": _l("indirizzo"), "comune": _l("comune"),
    "provincia": _l("provincia"), "partita_iva": _l("partita IVA o codice fiscale"),
    "firmatario": _l("chi firma per l'organizzazione"), "qualifica": _l("la sua qualifica"),
    "firmatario_rete": _l("chi firma per la rete"), "data_inizio": _l("inizio"), "data_fine": _l("fine"),
    "tipo": _l("tipo di convenzione"),
}
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")

DEFAULT_BODY = """Tra la **rete provinciale per il recupero delle eccedenze alimentari**, rappresentata da {{ firmatario_rete }},
e **{{ ente }}**, con sede in {{ indirizzo }}, {{ comune }} ({{ provincia }}), partita IVA o codice fiscale
{{ partita_iva }}, rappresentata da {{ firmatario }} ({{ qualifica }}),

si conviene quanto segue.

## Art. 1 - Oggetto
La presente convenzione regola la partecipazione di {{ ente }} alla rete per il recupero e la
redistribuzione gratuita delle eccedenze alimentari ai sensi della Legge 19 agosto 2016, n. 166.

## Art. 2 - Impegni
- rispettare le regole di sicurezza alimentare e la catena del freddo;
- registrare in Raccolto ogni cessione, ritiro e ricezione;
- conservare i documenti di trasporto e le dichiarazioni previste dalla legge.

## Art. 3 - Durata
La convenzione vale dal {{ data_inizio }} al {{ data_fine }} e può essere rinnovata per iscritto.

## Art. 4 - Dati personali
Le parti trattano i dati personali nel rispetto del Regolamento (UE) 2016/679; gli enti comunicano
solo dati aggregati sulle persone assistite.
"""


def template_body(kind):
    """The stored template of `kind`, or the default text."""
    row = db.session.get(AgreementTemplate, kind)
    return row.body if row is not None and row.body.strip() else DEFAULT_BODY


def _escape(value):
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(value or "").split()))


def _day(value):
    return format_date(value, "d MMMM yyyy") if value else "…"


def values(agreement):
    """{placeholder: plain text} for one agreement ('…' where a field is still empty)."""
    org = agreement.organisation
    return {"ente": org.name, "indirizzo": org.address or "…", "comune": org.municipality or "…",
            "provincia": org.province or "…", "partita_iva": org.vat_number or "…",
            "firmatario": agreement.signatory_name or "…", "qualifica": agreement.signatory_role or "…",
            "firmatario_rete": agreement.network_signatory or "…", "data_inizio": _day(agreement.starts_on),
            "data_fine": _day(agreement.ends_on), "tipo": str(agreements.KIND_LABELS[agreement.kind])}


def fill(body, filled, escape=True):
    """Replace the placeholders of `body`; unknown ones stay as written."""
    def replace(match):
        key = match.group(1)
        if key not in filled:
            return match.group(0)
        return _escape(filled[key]) if escape else str(filled[key])

    return _PLACEHOLDER.sub(replace, body)


def html(agreement):
    """The agreement's text as sanitised HTML."""
    return markdown.render(fill(template_body(agreement.kind), values(agreement)))


def preview(kind, body):
    """A template rendered with sample values, for the editor's preview."""
    sample = {key: f"[{label}]" for key, label in PLACEHOLDERS.items()}
    sample["tipo"] = str(agreements.KIND_LABELS.get(kind, ""))
    return markdown.render(fill(body, sample))


def _plain(line):
    """A Markdown line without its emphasis markers and escapes (for the PDF)."""
    line = re.sub(r"\*\*(.+?)\*\*|__(.+?)__", lambda m: m.group(1) or m.group(2), line)
    return re.sub(r"\\(.)", r"\1", line)


def pdf(agreement):
    """The agreement as a PDF: the parties and dates, then the filled text, then signature lines."""
    org = agreement.organisation
    doc = _Document(str(agreements.KIND_LABELS[agreement.kind]))
    doc.fields([(_("Organizzazione"), org.name), (_("Sede"), f"{org.address}, {org.municipality} ({org.province})"),
                (_("P. IVA / C.F."), org.vat_number or "—"),
                (_("Firmatario"), f"{agreement.signatory_name} ({agreement.signatory_role})"
                 if agreement.signatory_role else agreement.signatory_name),
                (_("Per la rete"), agreement.network_signatory), (_("Dal"), _day(agreement.starts_on)),
                (_("Al"), _day(agreement.ends_on)),
                (_("Stato"), str(agreements.state_label(agreement, agreements.today())))])
    paragraph = []

    def flush():
        if paragraph:
            doc.text(" ".join(paragraph), size=10)
            doc.pdf.ln(1.5)
            paragraph.clear()

    for raw in fill(template_body(agreement.kind), values(agreement), escape=False).splitlines():
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("#"):
            flush()
            doc.heading(_plain(line.lstrip("#").strip()))
        elif line[:2] in ("- ", "* "):
            flush()
            doc.text("• " + _plain(line[2:]), size=10)
        else:
            paragraph.append(_plain(line))
    flush()
    doc.pdf.ln(6)
    doc.fields([(_("Per %(org)s", org=org.name), "_" * 34), (_("Per la rete"), "_" * 34)])
    return doc.output()
