"""Flask commands: demo data, the worker, register check, first coordinator."""
import logging

import click
from flask import current_app

from app.extensions import db


@click.command("seed")
@click.option("--force", is_flag=True, help="Seed even if the database already has users.")
def seed_command(force):
    """Fill an empty database with the demo network and print the demo logins."""
    from app import demo

    if not demo.is_empty() and not force:
        click.echo("Database già popolato: nessun dato demo aggiunto.")
    else:
        demo.seed()
        click.echo("Dati demo creati.")
    click.echo("Accessi demo (password «%s»):" % demo.DEMO_PASSWORD)
    for email, what in demo.DEMO_LOGINS:
        click.echo(f"  {email:34} {what}")


@click.command("worker")
@click.option("--once", is_flag=True, help="Run every job once and exit.")
def worker_command(once):
    """Run the background worker (periodic jobs, push sending)."""
    from app import worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    if once:
        for name, result in worker.run_once().items():
            click.echo(f"{name}: {result}")
        return
    click.echo(f"Worker avviato ({len(worker.JOBS)} attività periodiche).")
    worker.run_forever()


@click.command("verify-register")
def verify_register_command():
    """Check the whole volunteer register and store the checkpoint page views start from; exit 1 if altered."""
    from app.services.people import register

    check = register.full_check()
    if check.broken_seq:
        click.echo(f"Registro alterato dalla riga {check.broken_seq}.")
        raise SystemExit(1)
    click.echo(f"Registro integro ({check.last_seq or 0} righe).")


@click.command("create-coordinator")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.password_option()
def create_coordinator_command(email, name, password):
    """Create a coordinator account (the first one of a real deployment)."""
    from app.models import Membership, Organisation
    from app.services.people import accounts

    office = accounts.coordination_office()
    if office is None:
        office = Organisation(kind="coordination", name=current_app.config.get(
            "COORDINATION_NAME", "Coordinamento"), province="")
        db.session.add(office)
    user = accounts.create_user(email, name, password)
    db.session.add(Membership(user=user, organisation=office, role="coordinator"))
    db.session.commit()
    click.echo(f"Coordinatore {email} creato.")


@click.command("openapi")
@click.option("--check", is_flag=True, help="Only say whether docs/openapi.json is complete (exit 1 if not).")
def openapi_command(check):
    """Add the kinds and fields declared since to docs/openapi.json (the API description)."""
    import json
    import pathlib

    from app.services.ops import openapi

    path = pathlib.Path(__file__).resolve().parent.parent / "docs" / "openapi.json"
    doc = json.loads(path.read_text())
    completed = openapi.complete(doc)
    if completed == doc:
        click.echo("docs/openapi.json describes every kind.")
        return
    if check:
        raise click.ClickException("docs/openapi.json is missing kinds or fields: run `flask openapi`.")
    path.write_text(json.dumps(completed, indent=1, ensure_ascii=False) + "\n")
    click.echo(f"docs/openapi.json: {len(completed['components']['schemas']) - len(doc['components']['schemas'])} kinds added.")


@click.group("rollups")
def rollups_group():
    """The impact and health rollups (per day, store, charity, category, month): rebuild, catch up, check;
    open data parts."""


@rollups_group.command("rebuild")
@click.option("--only", type=click.Choice(["impact", "health"]), default=None,
              help="Only the impact or only the health rollups (the two can run at once, in two processes); "
                   "the open data parts then wait for «flask rollups open-data».")
def rollups_rebuild_command(only):
    """Recompute the rollups from the donations (after a bulk load; running it twice changes nothing).

    Then builds every part of the open data files, so that they are ready before the worker runs.
    """
    from app.services.impact import opendata, rollups

    sources, cells = rollups.rebuild(impact=only != "health", health=only != "impact")
    if only != "health":
        click.echo(f"Riepiloghi ricostruiti: {sources} donazioni in {cells} celle.")
    if only != "impact":
        health = rollups.last_rebuild
        click.echo(f"Salute operativa di {health['health_donations']} donazioni in {health['health_seconds']:.1f} s.")
    if only is None:
        click.echo(f"Open data: {opendata.refresh(limit=None)} parti preparate.")


@rollups_group.command("open-data")
def rollups_open_data_command():
    """Build every missing or out-of-date part of the open data files now (the worker does it a few at a time)."""
    from app.services.impact import opendata

    click.echo(f"Open data: {opendata.refresh(limit=None)} parti preparate.")


@rollups_group.command("catch-up")
def rollups_catch_up_command():
    """Re-sync only the donations (and cells) the rollups count wrongly; idempotent."""
    from app.services.impact import rollups

    click.echo(f"Riepiloghi corretti: {rollups.catch_up()}.")


@rollups_group.command("check")
def rollups_check_command():
    """Compare the rollups with the donations; exit 1 on any difference."""
    from app.services.impact import rollups

    wrong = len(rollups.differences()) + len(rollups.cell_differences())
    if wrong:
        click.echo(f"Riepiloghi non allineati: {wrong} differenze (esegui «flask rollups catch-up»).")
        raise SystemExit(1)
    click.echo("Riepiloghi allineati.")


def init_app(app):
    for command in (seed_command, worker_command, verify_register_command, create_coordinator_command,
                    openapi_command, rollups_group):
        app.cli.add_command(command)
