"""Views: /coordinamento/impatto (+ CSV), /negozio/impatto, /ente/impatto, /volontario/impatto."""
from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.htmx import render_page_or_fragment
from app.impact import export, params
from app.impact.blueprint import bp
from app.permissions import role_required
from app.services import ServiceError
from app.services.impact import charts, documents, equity, periods, stats


def _render(page, fragment, **context):
    """Page or fragment; a bad filter gives the same page with its Italian message and status 400."""
    status = 400 if context.get("error") else 200
    return render_page_or_fragment(page, fragment, status=status, health_labels=export.HEALTH_LABELS,
                                   charts=charts, suggestions_limit=params.SUGGESTIONS, min_query=params.MIN_QUERY,
                                   **context)


@bp.route("/coordinamento/impatto")
@role_required("coordinator")
def dashboard():
    """The network's impact and operational health, filtered by period, store, charity, category."""
    options = params.filter_options()
    try:
        scope, chosen = params.read_filters(request.args)
    except ServiceError as error:
        return _render("impact/dashboard.html", "impact/_results.html", error=error.message, options=options,
                       pickers=params.pickers(request.args, {}), args=request.args, scope=None, data=None)
    args = params.query_args(scope)
    return _render("impact/dashboard.html", "impact/_results.html", scope=scope, data=stats.dashboard(scope),
                   options=options, pickers=params.pickers(request.args, chosen), args=args, error=None,
                   equity=equity.equity(scope), lorenz_chart=equity.lorenz_chart)


@bp.route("/coordinamento/impatto/organizzazioni")
@role_required("coordinator")
def organisation_suggestions():
    """The few stores or charities whose name or town contains the search (the search field's htmx fragment)."""
    param = request.args.get("filtro")
    if param not in [p for p, _kind, _search in params.PICKERS]:
        abort(400, _("Filtro sconosciuto: scegli «negozio» o «ente»."))
    page = request.args.get("per", "impatto")
    if page not in params.PICKER_PAGES:
        abort(400, _("Pagina sconosciuta: scegli «impatto» o «documenti»."))
    picker = params.picker(param, request.args, page=page)
    return render_template("impact/_org_suggestions.html", picker=picker, suggestions_limit=params.SUGGESTIONS,
                           min_query=params.MIN_QUERY)


@bp.route("/organizzazioni/cerca")
@role_required("coordinator", "store")
def form_suggestions():
    """The same search for a POST form's <select> of organisations (?campo=<its id>): buttons that fill it.

    Coordinators search stores and charities; store staff only charities (the schedule they propose).
    """
    param = request.args.get("filtro")
    if param not in [p for p, _kind, _search in params.PICKERS]:
        abort(400, _("Filtro sconosciuto: scegli «negozio» o «ente»."))
    if param != "ente" and not current_user.has_role("coordinator"):
        abort(403, _("Puoi cercare solo gli enti beneficiari."))
    field = request.args.get("campo")
    if field not in params.FORM_FIELDS:
        abort(400, _("Campo del modulo sconosciuto."))
    picker = params.picker(param, request.args, field=field)
    return render_template("impact/_org_suggestions.html", picker=picker, suggestions_limit=params.SUGGESTIONS,
                           min_query=params.MIN_QUERY)


@bp.route("/coordinamento/impatto.csv")
@role_required("coordinator")
def export_csv():
    """The dashboard's figures as CSV (?tabella=salute for the operational indicators)."""
    try:
        scope = params.scope_from(request.args)
    except ServiceError as error:
        abort(400, error.message)
    table = request.args.get("tabella", "impatto")
    if table == "salute":
        body = export.health_csv(stats.dashboard(scope)["health"])
    elif table == "impatto":
        body = export.impact_csv(stats.impact(scope))
    else:
        abort(400, _("Tabella sconosciuta: scegli «impatto» o «salute»."))
    name = f"raccolto-{table}-{scope.period.key}.csv"
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _own(role, page, fragment, org_field):
    org = current_user.org_for(role)
    if org is None:
        abort(403, _("Il tuo account non è collegato a nessuna organizzazione."))
    try:
        scope = params.scope_from({"periodo": request.args.get("periodo")}, **{org_field: org.id})
    except ServiceError as error:
        return _render(page, fragment, error=error.message, org=org, scope=None, data=None,
                       periods=periods.period_choices(), args=request.args)
    data = stats.impact(scope)
    data["health"] = stats.health(scope)
    data["factors"] = stats.factors()
    return _render(page, fragment, org=org, scope=scope, data=data, periods=periods.period_choices(),
                   args=params.query_args(scope), error=None)


@bp.route("/negozio/impatto")
@role_required("store")
def store():
    """A store's own numbers: what it donated, where it went, how its donations fared."""
    return _own("store", "impact/store.html", "impact/_own_results.html", "store_id")


@bp.route("/ente/impatto")
@role_required("charity")
def charity():
    """A charity's own numbers: what it received and from whom."""
    return _own("charity", "impact/charity.html", "impact/_own_results.html", "charity_id")


@bp.route("/volontario/impatto")
@role_required("volunteer")
def volunteer():
    """A volunteer's personal impact: kg carried, pickups, meals, CO2e, and their DDTs."""
    try:
        period = periods.parse_period(request.args.get("periodo"))
    except ServiceError as error:
        return _render("impact/volunteer.html", "impact/_volunteer_results.html", error=error.message,
                       data=None, period=None, periods=periods.period_choices(), recent=[])
    data = stats.volunteer_figures(current_user.id, period)
    data["factors"] = stats.factors()
    recent = documents.documents_of(period, carrier_id=current_user.id, limit=20)
    return _render("impact/volunteer.html", "impact/_volunteer_results.html", data=data, period=period,
                   periods=periods.period_choices(), recent=recent, error=None)
