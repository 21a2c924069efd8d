"""Crate labels for printing: A4 sheets or a 62 mm roll, all crates or one (a reprint)."""
from flask import abort, render_template, request

from app.services.food.labels import FORMATS, labels
from app.store.blueprint import bp
from app.store.access import own_donation

A4_PER_SHEET = 8


@bp.route("/donazioni/<int:donation_id>/etichette")
@bp.route("/donazioni/<int:donation_id>/etichette/<int:n>")
def labels_sheet(donation_id, n=None):
    """The printable labels of a donation's crates (crate `n` only for a reprint)."""
    donation = own_donation(donation_id)
    layout = request.args.get("formato", "a4")
    layout = layout if layout in FORMATS else "a4"
    items = labels(donation, only_n=n)
    if not items:
        abort(404)
    sheets = [items[i:i + A4_PER_SHEET] for i in range(0, len(items), A4_PER_SHEET)] \
        if layout == "a4" else [[item] for item in items]
    return render_template("labels/sheet.html", donation=donation, layout=layout, sheets=sheets,
                           labels=items, only_n=n)
