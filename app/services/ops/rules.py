"""Rules of the pickup that the software enforces (DOMAIN.md), shared by handlers and pages.

Each check returns None when the rule holds, else a Refused with a stable code
and an Italian message that says why and what to do. Pages call the same
functions to explain, before the tap, why a button is not there.
"""
from datetime import date
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.domain import max_pickup_temperature
from app.extensions import db
from app.models import Donation
from app.services.ops.core import Refused

ROME = ZoneInfo("Europe/Rome")
COLD = ("chilled", "frozen")


def local_date(moment):
    """The calendar date in Italy of an aware UTC datetime."""
    return moment.astimezone(ROME).date()


def needs_cold(donation):
    """True for chilled and frozen lots (cold transport and hygiene training required)."""
    return donation.storage in COLD or bool(donation.needs_cold)


def training_valid_until(profile):
    """The last day the volunteer's food-hygiene training counts, or None if missing."""
    taken = profile.hygiene_training_on if profile else None
    if taken is None:
        return None
    years = current_app.config.get("HYGIENE_TRAINING_VALID_YEARS", 3)
    try:
        return taken.replace(year=taken.year + years)
    except ValueError:  # 29 February
        return taken.replace(year=taken.year + years, day=28)


def open_claims(user_id):
    """How many donations this volunteer has claimed and not yet picked up."""
    return db.session.scalar(select(func.count()).select_from(Donation).where(
        Donation.claimed_by_id == user_id, Donation.status == "claimed")) or 0


def volunteer_blocker(user):
    """Why this user cannot claim anything at all now (not approved), or None."""
    profile = getattr(user, "volunteer", None)
    if profile is None:
        return Refused("not_allowed", _("Per prenotare un ritiro serve un profilo da volontario: "
                                        "iscriviti dalla pagina «Diventa volontario»."))
    if profile.status == "pending":
        return Refused("not_approved", _("La tua iscrizione è in attesa di approvazione: potrai "
                                         "prenotare quando un coordinatore ti avrà approvato."))
    if profile.status != "approved":
        return Refused("not_approved", _("Il tuo profilo da volontario è sospeso o non approvato: "
                                         "scrivi al coordinamento per riattivarlo."))
    return None


def require_volunteer(ctx):
    """Refuse unless the user is an approved volunteer: not_approved for a pending,
    rejected or suspended profile, not_allowed for anyone without one."""
    if ctx.user is not None and getattr(ctx.user, "volunteer", None) is not None \
            and not ctx.user.is_approved_volunteer:
        raise volunteer_blocker(ctx.user)
    ctx.require_role("volunteer")


def claim_blocker(user, donation, at, count_claims=True):
    """Why `user` may not claim `donation` at `at` (rules of the volunteer), or None."""
    blocker = volunteer_blocker(user)
    if blocker:
        return blocker
    profile = user.volunteer
    if needs_cold(donation):
        if not profile.cold_transport:
            return Refused("no_cold_transport", _(
                "Questo ritiro è refrigerato o surgelato e serve un mezzo o contenitori "
                "isotermici: se li hai, indicalo nel tuo profilo."))
        valid_until = training_valid_until(profile)
        if valid_until is None or valid_until <= local_date(at):
            return Refused("training_expired", _(
                "Per i prodotti freschi e surgelati serve il corso di igiene alimentare (HACCP) "
                "fatto negli ultimi %(years)d anni: aggiorna la data nel tuo profilo o rifai il corso.",
                years=current_app.config.get("HYGIENE_TRAINING_VALID_YEARS", 3)))
    if count_claims:
        return claims_limit_blocker(open_claims(user.id))
    return None


def claims_limit_blocker(claimed):
    """Refuse too_many_claims when a volunteer already holds `claimed` open claims (the limit), else None."""
    limit = current_app.config.get("MAX_OPEN_CLAIMS", 3)
    if claimed >= limit:
        return Refused("too_many_claims", _(
            "Hai già %(n)d ritiri prenotati e non ancora fatti: completane o lasciane uno "
            "prima di prenotarne altri.", n=limit))
    return None


def use_by_blocker(donation, at):
    """Refuse food whose use-by date is before the day of `at` (L. 166/2016: never donated)."""
    if donation.date_kind == "use_by" and donation.food_date and donation.food_date < local_date(at):
        return Refused("use_by_passed", _(
            "La data «da consumare entro» (%(date)s) è passata: questo cibo non può essere "
            "donato. Lascia le cassette al punto vendita.", date=_fmt(donation.food_date)))
    return None


def best_before_blocker(donation, at, confirmed):
    """Past best-before food needs an explicit check that packaging is intact (art. 4 c.1)."""
    past = (donation.date_kind == "best_before" and donation.food_date
            and donation.food_date < local_date(at))
    if past and not confirmed:
        return Refused("best_before_unconfirmed", _(
            "Il termine minimo di conservazione è passato: conferma che le confezioni sono "
            "integre e conservate correttamente, oppure lascia le cassette."))
    return None


def temperature(value):
    """A temperature from a form or JSON (comma decimals accepted), or None; Refused if unreadable."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        reading = float(str(value).replace(",", ".").strip())
    except ValueError:
        raise Refused("invalid", _("La temperatura non è un numero: scrivi ad esempio 3,5.")) from None
    if not -40.0 <= reading <= 60.0:
        raise Refused("invalid", _("Una temperatura di %(t)s °C non è plausibile: misura di nuovo.",
                                   t=reading))
    return reading


def too_warm(donation, reading):
    """The warmest acceptable reading when `reading` exceeds it, else None."""
    limit = max_pickup_temperature(donation.category, donation.storage)
    if limit is not None and reading is not None and reading > limit:
        return limit
    return None


def _fmt(day):
    return day.strftime("%d/%m/%Y") if isinstance(day, date) else str(day)
