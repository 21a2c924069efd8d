"""Public views: home, health check, robots.txt."""
from flask import Response, jsonify, render_template
from sqlalchemy import text

from app.extensions import db
from app.public import bp
from app.urls import public_url


@bp.route("/")
def home():
    """The programme's public home page."""
    return render_template("public/home.html")


@bp.route("/healthz")
def healthz():
    """Liveness and database status for load balancers and monitoring."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as error:  # any driver error means the database is not usable
        db.session.rollback()
        database = f"error: {type(error).__name__}"
    ok = database == "ok"
    response = jsonify({"status": "ok" if ok else "degraded", "database": database,
                        "dialect": db.engine.dialect.name})
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/robots.txt")
def robots():
    """Crawlers may read the public pages, not the private areas."""
    lines = ["User-agent: *"] + [f"Disallow: {p}" for p in (
        "/coordinamento", "/negozio", "/volontario", "/ente", "/profilo", "/api", "/c/", "/invito")]
    lines.append(f"Sitemap: {public_url('public.home').rstrip('/')}/sitemap.xml")
    return Response("\n".join(lines) + "\n", mimetype="text/plain",
                    headers={"Cache-Control": "public, max-age=86400"})
