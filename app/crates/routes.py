"""/c/<token>: what this viewer may do with this crate; to anyone else, only that it is ours."""
from flask import redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.crates.blueprint import bp
from app.extensions import db
from app.models import Crate
from app.services.food.labels import relation
from app.services.people.tokens import display_token, normalise_token

# Who sees the donation's contents and its store; everyone else (anonymous visitors
# included) only learns that the crate belongs to the network (DESIGN.md).
INSIDERS = ("store_staff", "claimer", "volunteer", "recipient_charity", "coordinator")


def _not_found(typed):
    """The helpful 404: say what went wrong and offer to type the code again."""
    return render_template("crates/not_found.html", typed=(typed or "")[:40]), 404


@bp.route("/c/")
def lookup():
    """Type the code printed under the QR code (for a label the camera cannot read)."""
    typed = request.args.get("codice", "")
    if not typed:
        return render_template("crates/lookup.html")
    token = normalise_token(typed)
    if token is None:
        return _not_found(typed)
    return redirect(url_for("crates.show", token=token))


@bp.route("/c/<token>")
def show(token):
    """The crate page a label's QR code opens."""
    canonical = normalise_token(token)
    if canonical is None:
        return _not_found(token)
    if canonical != token:  # typed in lower case or with dashes: one URL per crate
        return redirect(url_for("crates.show", token=canonical), 301)
    crate = db.session.scalar(select(Crate).where(Crate.token == canonical))
    if crate is None:
        return _not_found(display_token(canonical))
    donation = crate.donation
    viewer = relation(current_user, donation)
    return render_template("crates/show.html", crate=crate, donation=donation, relation=viewer,
                           insider=viewer in INSIDERS, code=display_token(crate.token))
