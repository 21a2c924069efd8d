"""PDF versions of the donation documents (fpdf2, pure Python, DejaVu Sans for accents and €).

The font is Debian's fonts-dejavu-core (installed by .ci/run); PDF_FONT_DIR
points elsewhere when needed. Every document prints the same fields as its
HTML page, in the same order.
"""
import os

from flask import current_app
from flask_babel import format_currency, format_date, format_datetime, format_decimal
from flask_babel import gettext as _

from app.domain import STORAGE_LABELS, category_label
from app.services import ServiceError

DEFAULT_FONT_DIR = "/usr/share/fonts/truetype/dejavu"
FONT = "DejaVu"


def _font_dir():
    return current_app.config.get("PDF_FONT_DIR") or os.environ.get("PDF_FONT_DIR") or DEFAULT_FONT_DIR


def kg(value):
    return format_decimal(value or 0, "#,##0.##") + " kg"


def eur(value):
    return format_currency(value or 0, "EUR")


def when(instant):
    return format_datetime(instant, "dd/MM/yyyy HH:mm") if instant else ""


def yes_no(flag):
    return _("sì") if flag else _("no")


class _Document:
    """A small layout helper over FPDF: title, label/value pairs, tables, paragraphs."""

    def __init__(self, title):
        from fpdf import FPDF

        folder = _font_dir()
        regular, bold = os.path.join(folder, "DejaVuSans.ttf"), os.path.join(folder, "DejaVuSans-Bold.ttf")
        if not (os.path.exists(regular) and os.path.exists(bold)):
            raise ServiceError("no_font", _("Manca il carattere DejaVu Sans in %(dir)s: installa il pacchetto "
                                            "fonts-dejavu-core o imposta PDF_FONT_DIR.", dir=folder))
        self.pdf = FPDF(format="A4")
        self.pdf.set_title(title)
        self.pdf.set_creator("Raccolto")
        self.pdf.set_lang("it")
        self.pdf.add_font(FONT, "", regular)
        self.pdf.add_font(FONT, "B", bold)
        self.pdf.set_margins(15, 15, 15)
        self.pdf.set_auto_page_break(True, 15)
        self.pdf.add_page()
        self.pdf.set_font(FONT, "B", 15)
        self.pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def heading(self, text):
        self.pdf.ln(2)
        self.pdf.set_font(FONT, "B", 11)
        self.pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")

    def fields(self, pairs):
        """Label: value lines; values may span several lines."""
        for label, value in pairs:
            self.pdf.set_font(FONT, "B", 9)
            self.pdf.cell(66, 5.5, f"{label}:", new_x="RIGHT", new_y="TOP")
            self.pdf.set_font(FONT, "", 9)
            self.pdf.multi_cell(0, 5.5, str(value or "—"), new_x="LMARGIN", new_y="NEXT")

    def text(self, body, size=9):
        self.pdf.set_font(FONT, "", size)
        self.pdf.multi_cell(0, 5, body, new_x="LMARGIN", new_y="NEXT")

    def table(self, headers, rows, widths):
        self.pdf.set_font(FONT, "", 8.5)
        with self.pdf.table(col_widths=widths, text_align="LEFT", line_height=5,
                            headings_style=self._headings()) as table:
            for cells in [headers, *rows]:
                row = table.row()
                for cell in cells:
                    row.cell(str(cell))

    def _headings(self):
        from fpdf.fonts import FontFace

        return FontFace(family=FONT, emphasis="BOLD", fill_color=(230, 238, 233))

    def output(self):
        return bytes(self.pdf.output())


def _party_lines(party, vat_label=None):
    if not party:
        return "—"
    place = " ".join(p for p in (party.get("municipality", ""), f"({party['province']})" if party.get("province")
                                 else "") if p)
    parts = [party.get("name", ""), party.get("address", ""), place]
    if vat_label and party.get("vat_number"):
        parts.append(f"{vat_label} {party['vat_number']}")
    return "\n".join(p for p in parts if p)


def ddt_pdf(document, signed=None):
    """The transport document (DPR 472/96) of one pickup, with the charity's receipt when signed."""
    snap = document.snapshot
    doc = _Document(_("Documento di trasporto (DDT) n. %(code)s", code=document.code))
    start = snap.get("transport_start") or {}
    doc.fields([(_("Numero"), document.code), (_("Data"), when(document.issued_at)),
                (_("Causale"), snap.get("reason", "")),
                (_("Cedente (donatore)"), _party_lines(snap.get("donor"), _("P. IVA"))),
                (_("Destinatario"), _party_lines(snap.get("recipient"), _("C.F./P. IVA"))),
                (_("Vettore (volontario)"), (snap.get("carrier") or {}).get("name", "") + (
                    " · " + _("Ritiro registrato dopo da %(name)s (coordinamento)", name=snap["backfilled_by"]["name"])
                    if snap.get("backfilled_by") else "")),
                *([(_("Dati inseriti per conto del donatore da"), snap["entered_by"]["name"])]
                  if snap.get("entered_by") else []),
                (_("Inizio trasporto"), f"{when(document.issued_at)} · {start.get('place', '')}"),
                (_("Destinazione"), snap.get("destination", ""))])
    doc.heading(_("Beni trasportati"))
    rows = [[line["description"], str(category_label(line["category"])),
             str(STORAGE_LABELS.get(line.get("storage"), line.get("storage", ""))), kg(line["kg"]),
             str(line["crates"]), yes_no(line["perishable"])] for line in snap.get("lines", [])]
    doc.table([_("Descrizione"), _("Categoria"), _("Conservazione"), _("Quantità"), _("Cassette"),
               _("Facilmente deperibile")], rows, (52, 34, 28, 22, 18, 26))
    value = eur(snap.get("value_eur"))
    if snap.get("value_estimated"):
        value += " " + _("(stimato in base ai kg)")
    doc.fields([(_("Valore (ultimo prezzo di vendita)"), value)])
    doc.heading(_("Ricezione"))
    if signed:
        weight = kg(signed["kg"]) if signed["kg"] is not None else _("non rilevato")
        doc.fields([(_("Ricevuto il"), when(signed["at"])), (_("Peso alla ricezione"), weight),
                    (_("Firma (conferma nell'app)"), signed["by"] or "—")])
    else:
        doc.text(_("In attesa della conferma di ricezione dell'ente destinatario."))
    return doc.output()


def summary_pdf(summary):
    """The donor's monthly summary, with the donations over EUR 15,000 flagged."""
    doc = _Document(_("Riepilogo mensile delle cessioni: %(month)s", month=summary.period.label))
    doc.fields([(_("Cedente"), _party_lines({"name": summary.store.name, "address": summary.store.address,
                                             "municipality": summary.store.municipality,
                                             "province": summary.store.province,
                                             "vat_number": summary.store.vat_number}, _("P. IVA"))),
                (_("Donazioni"), str(len(summary.rows))), (_("Totale kg"), kg(summary.kg)),
                (_("Valore totale"), eur(summary.value_eur)),
                (_("Oltre 15.000 € non deperibili"), str(summary.flagged))])
    rows = [[r["document"].code, when(r["document"].issued_at), r["recipient"], r["line"]["description"],
             kg(r["kg"]), eur(r["value_eur"]), yes_no(r["line"]["perishable"]),
             _("DA COMUNICARE") if r["over_threshold"] else ""] for r in summary.rows]
    doc.heading(_("Documenti di trasporto del mese"))
    doc.table([_("DDT"), _("Data"), _("Destinatario"), _("Beni"), _("Kg"), _("Valore"), _("Deperibile"),
               _("Soglia")], rows, (14, 23, 28, 30, 18, 21, 19, 27))
    doc.text(_("Sono segnalate le cessioni di valore superiore a 15.000 € di beni non facilmente deperibili "
               "(art. 16 L. 166/2016, da verificare)."), size=8)
    return doc.output()


def declaration_pdf(declaration):
    """The charity's quarterly declaration listing the quarter's DDTs."""
    doc = _Document(_("Dichiarazione trimestrale: %(period)s", period=declaration.period.label))
    charity = declaration.charity
    doc.fields([(_("Ente beneficiario"), _party_lines({"name": charity.name, "address": charity.address,
                                                       "municipality": charity.municipality,
                                                       "province": charity.province,
                                                       "vat_number": charity.vat_number}, _("C.F./P. IVA")))])
    doc.heading(_("Documenti di trasporto ricevuti"))
    rows = [[r["document"].code, format_date(r["document"].issued_at, "dd/MM/yyyy"), r["donor"], kg(r["kg"])]
            for r in declaration.rows]
    doc.table([_("DDT"), _("Data"), _("Cedente"), _("Kg")], rows, (25, 30, 95, 30))
    doc.fields([(_("Totale kg"), kg(declaration.kg))])
    doc.heading(_("Dichiarazione"))
    doc.text(declaration.commitment, size=10)
    doc.pdf.ln(4)
    doc.fields([(_("Firmatario"), declaration.signatory), (_("Qualifica"), declaration.role),
                (_("Data"), format_date(declaration.signed_on, "dd/MM/yyyy")), (_("Firma"), "_" * 40)])
    return doc.output()
