"""Italian (and English) error pages; JSON errors under /api."""
from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.extensions import db

MESSAGES = {
    400: lambda: _("La richiesta non è valida."),
    403: lambda: _("Non hai il permesso di vedere questa pagina."),
    404: lambda: _("Pagina non trovata."),
    405: lambda: _("Operazione non consentita su questa pagina."),
    413: lambda: _("Il file è troppo grande."),
    414: lambda: _("L'indirizzo della pagina è troppo lungo."),
    431: lambda: _("La richiesta ha intestazioni troppo lunghe."),
    429: lambda: _("Troppe richieste: riprova tra qualche minuto."),
    500: lambda: _("Si è verificato un errore. Il problema è stato registrato: riprova più tardi."),
}


def _render(status, detail=None):
    message = MESSAGES.get(status, MESSAGES[500])()
    if request.path.startswith("/api/"):
        return jsonify({"error": status, "message": detail or message}), status
    return render_template("errors/error.html", status=status, message=message,
                           detail=detail), status


def init_app(app):
    """Register handlers for CSRF failures, HTTP errors and unexpected exceptions."""

    @app.errorhandler(CSRFError)
    def _csrf(error):
        return _render(400, _("Il modulo è scaduto o non è valido (token di sicurezza "
                              "mancante). Ricarica la pagina e riprova."))

    @app.errorhandler(HTTPException)
    def _http(error):
        if error.code in (301, 302, 303, 307, 308):
            return error
        # A description passed to abort() is ours (Italian); werkzeug's default is not shown.
        detail = error.description if error.description != type(error).description else None
        if (error.code or 500) >= 500:
            db.session.rollback()
        return _render(error.code or 500, detail)
