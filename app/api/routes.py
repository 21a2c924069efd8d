"""POST /api/ops: a batch of operations in, one result per operation out."""
from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import ValidationError, validate_csrf

from app.api import tokens
from app.api.blueprint import bp
from app.services import ops

MAX_OPS = 200


def _error(status, code, message, **headers):
    response = jsonify({"error": code, "message": message})
    response.status_code = status
    response.headers.update(headers)
    return response


def _caller():
    """(user, "bearer" | "session") for this request, or (None, error response).

    A bearer token wins over the session; a session call must carry the page's
    CSRF token in X-CSRFToken (the cookie alone could be a forged cross-site post).
    """
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _sep, secret = header.partition(" ")
        user = tokens.authenticate(secret.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            return None, _error(401, "unauthorized", _("Token API non valido o revocato."),
                                **{"WWW-Authenticate": 'Bearer realm="raccolto", error="invalid_token"'})
        return user, "bearer"
    if not current_user.is_authenticated:
        return None, _error(401, "unauthorized", _("Accedi a Raccolto oppure usa un token API "
                                                   "(Authorization: Bearer ...)."),
                            **{"WWW-Authenticate": 'Bearer realm="raccolto"'})
    try:
        validate_csrf(request.headers.get("X-CSRFToken"))
    except ValidationError:
        return None, _error(400, "csrf", _("Token di sicurezza (X-CSRFToken) mancante o scaduto: "
                                           "ricarica la pagina e riprova."))
    return current_user._get_current_object(), "session"


@bp.route("/ops", methods=["POST"])
def apply_ops():
    """Apply {"ops": [...]} in order and answer {"results": [...]} (docs/api.md)."""
    user, how = _caller()
    if user is None:
        return how  # the error response
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("ops"), list):
        return _error(400, "bad_json", _("Il corpo della richiesta deve essere JSON della forma "
                                         "{\"ops\": [ ... ]}."))
    if len(body["ops"]) > MAX_OPS:
        return _error(400, "too_many", _("Al massimo %(n)d operazioni per richiesta.", n=MAX_OPS))
    # The phone's outbox replays through the session and says so; everything else is "api".
    source = "offline" if how == "session" and body.get("source") == "offline" else "api"
    results = ops.apply_many(body["ops"], user, source=source, limit=MAX_OPS)
    return jsonify({"results": results})
