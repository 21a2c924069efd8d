"""Action forms to operations, and the answer (fragment for htmx, redirect otherwise).

Shared by the volunteer and charity areas. Each action form carries `op_id`
(made when the page rendered, refreshed per submission by static/js/ops.js)
and `occurred_at` (the device clock at submit), so the offline queue can
replay the very same POST later and the server applies it once.
"""
from flask import flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.htmx import htmx_response, wants_fragment
from app.services import ops

SUCCESS = {
    "donation.claim": lambda: _("Ritiro prenotato: lo trovi in «I miei ritiri»."),
    "donation.unclaim": lambda: _("Hai lasciato il ritiro: ora altri volontari possono prenotarlo."),
    "crate.scan": lambda: _("Cassetta registrata."),
    "donation.pickup": lambda: _("Ritiro confermato: ora porta le cassette all'ente."),
    "donation.deliver": lambda: _("Consegna segnata: l'ente confermerà la ricezione."),
    "donation.receive": lambda: _("Ricezione confermata: grazie! Il documento di trasporto è firmato."),
    "crate.problem": lambda: _("Problema segnalato al coordinamento."),
    "donation.reassign": lambda: _("Ente beneficiario cambiato."),
}


def form_op(kind, **fields):
    """The operation a submitted form describes (op_id and occurred_at come from the page)."""
    return {"op_id": request.form.get("op_id") or ops.new_op_id(), "kind": kind,
            "occurred_at": request.form.get("occurred_at") or None, **fields}


def apply_form(kind, **fields):
    """Apply the form's operation for the current user; returns the engine's result."""
    return ops.apply(form_op(kind, **fields), current_user._get_current_object(), source="form")


def message(result):
    """What to tell the person: the refusal's reason, or what happened."""
    if result["status"] == "refused":
        return result.get("message") or _("Operazione non riuscita.")
    if result["status"] == "duplicate":
        return _("Già registrato: questa azione era arrivata prima.")
    if result.get("conflict"):
        return _("Cassetta registrata. Attenzione: la donazione risultava in un altro stato; "
                 "il coordinamento è stato avvisato.")
    return SUCCESS.get(result.get("kind"), lambda: _("Fatto."))()


def category(result):
    """Flash category of a result."""
    if result["status"] == "refused":
        return "error"
    return "warning" if result.get("conflict") else "success"


def respond(result, fragment, back_to, **context):
    """htmx gets `fragment` (409 for a refusal, so it still swaps in); a plain form is redirected."""
    if wants_fragment():
        status = 409 if result["status"] == "refused" else 200
        body = render_template(fragment, result=result, notice=message(result),
                               notice_category=category(result), **context)
        return htmx_response(body, status)
    flash(message(result), category(result))
    return redirect(back_to)
