"""Accounts: passwords, volunteer signup and approval, invitations, export, deletion."""
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.geo import coordinates
from app.models import (Invitation, Membership, Organisation, User, VolunteerProfile,
                        VolunteerRegisterEntry)
from app.models.auth import hash_token
from app.models.base import utcnow
from app.services import ServiceError
from app.services.people import register

MIN_PASSWORD = 10


def hash_password(password):
    """Hash with the configured slow KDF (scrypt by default)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def check_password(user, password):
    """True when `password` matches; false for deleted or password-less accounts."""
    return bool(user and user.password_hash and check_password_hash(user.password_hash, password))


def normalise_email(email):
    return (email or "").strip().lower()


def find_user_by_email(email):
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(email, name, password, phone="", locale=None):
    """Add a user (not committed). Refuses an email already registered."""
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise ServiceError("email_taken", _("Esiste già un account con questa email: accedi "
                                            "oppure usa un'altra email."))
    user = User(email=email, name=name.strip(), phone=(phone or "").strip(),
                password_hash=hash_password(password), locale=locale)
    db.session.add(user)
    return user


def coordination_office():
    """The coordinating organisation (the first, if several)."""
    return db.session.scalar(select(Organisation).where(Organisation.kind == "coordination")
                             .order_by(Organisation.id).limit(1))


def signup_volunteer(email, name, password, phone, municipality, vehicle, cold_transport,
                     hygiene_training_on, locale=None):
    """Create a volunteer account pending a coordinator's approval; commits."""
    user = create_user(email, name, password, phone=phone, locale=locale)
    coords = coordinates(municipality)
    office = coordination_office()
    user.volunteer = VolunteerProfile(
        status="pending", municipality=municipality, vehicle=vehicle,
        cold_transport=bool(cold_transport), hygiene_training_on=hygiene_training_on,
        base_lat=coords[0] if coords else None, base_lon=coords[1] if coords else None,
        insured_by_id=office.id if office else None)
    db.session.commit()
    return user


DECISIONS = {"approve": "approved", "reject": "rejected", "suspend": "suspended",
             "reinstate": "approved"}


def decide_volunteer(volunteer, coordinator, decision, note=""):
    """Approve, reject, suspend or reinstate a volunteer; writes the register; commits."""
    profile = volunteer.volunteer
    if profile is None or decision not in DECISIONS:
        raise ServiceError("invalid", _("Decisione non valida."))
    allowed = {"approve": {"pending", "rejected"}, "reject": {"pending"},
               "suspend": {"approved"}, "reinstate": {"suspended"}}[decision]
    if profile.status not in allowed:
        raise ServiceError("wrong_state", _("Questa decisione non si applica a un volontario "
                                            "nello stato attuale."))
    profile.status = DECISIONS[decision]
    profile.decided_at = utcnow()
    profile.decided_by_id = coordinator.id
    profile.decision_note = note.strip()
    event = {"approve": "approved", "reject": "rejected", "suspend": "suspended",
             "reinstate": "reinstated"}[decision]
    register.append(volunteer, event, coordinator)
    db.session.commit()
    return profile


# --- invitations ----------------------------------------------------------------

INVITABLE = {"store": "store", "charity": "charity", "coordination": "coordinator"}
# Callables (invitation, token) run before the invitation commits: the mail outbox sends it.
INVITATION_HOOKS = []


def create_invitation(organisation, created_by, email="", note=""):
    """A single-use link for staff of `organisation`; returns (invitation, token). Commits."""
    token = secrets.token_urlsafe(24)
    invitation = Invitation(
        token_hash=hash_token(token), organisation_id=organisation.id,
        role=INVITABLE[organisation.kind], email=normalise_email(email), note=note.strip(),
        created_by_id=created_by.id,
        expires_at=utcnow() + timedelta(hours=current_app.config["INVITATION_TTL_HOURS"]))
    db.session.add(invitation)
    db.session.flush()
    for hook in INVITATION_HOOKS:
        hook(invitation, token)
    db.session.commit()
    return invitation, token


def find_invitation(token):
    """The open invitation for `token`, or a ServiceError saying why it cannot be used."""
    invitation = db.session.scalar(select(Invitation).where(
        Invitation.token_hash == hash_token(token or "")))
    if invitation is None:
        raise ServiceError("invalid", _("Questo invito non esiste. Controlla di aver copiato "
                                        "tutto il link o chiedi un nuovo invito al coordinatore."))
    state = invitation.state
    if state == "used":
        raise ServiceError("used", _("Questo invito è già stato usato: ogni invito vale una "
                                     "sola volta. Se l'hai usato tu, accedi con la tua email; "
                                     "altrimenti chiedi un nuovo invito al coordinatore."))
    if state == "revoked":
        raise ServiceError("revoked", _("Questo invito è stato annullato dal coordinatore."))
    if state == "expired":
        raise ServiceError("expired", _("Questo invito è scaduto. Chiedi al coordinatore di "
                                        "mandartene uno nuovo."))
    return invitation


def accept_invitation(token, user=None, email=None, name=None, password=None, phone=""):
    """Use an invitation once: join `user`, or create a new account. Commits; returns the user."""
    invitation = find_invitation(token)
    if user is None:
        user = create_user(email, name, password, phone=phone)
        db.session.flush()
    existing = next((m for m in user.memberships if m.role == invitation.role), None)
    if existing is not None and existing.organisation_id != invitation.organisation_id:
        raise ServiceError("already_member", _("Sei già collegato a un'altra organizzazione con "
                                               "questo ruolo. Chiedi al coordinatore."))
    # Single use even under concurrent clicks: only one UPDATE finds used_at empty.
    claimed = db.session.execute(
        update(Invitation).where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
        .values(used_at=utcnow(), used_by_id=user.id))
    if claimed.rowcount != 1:
        db.session.rollback()
        raise ServiceError("used", _("Questo invito è già stato usato."))
    if existing is None:
        db.session.add(Membership(user=user, organisation_id=invitation.organisation_id,
                                  role=invitation.role))
    db.session.commit()
    return user


def revoke_invitation(invitation):
    if invitation.state == "open":
        invitation.revoked_at = utcnow()
        db.session.commit()


# --- own data: export and deletion ---------------------------------------------

EXPORTERS = []  # later features append callables user -> (key, data) for their own records
ERASERS = []  # callables user -> None that erase a feature's personal records before the account is erased


def export_user_data(user):
    """Everything Raccolto keeps about `user`, as a JSON-ready dict (GDPR art. 15, 20)."""
    data = {
        "account": {"email": user.email, "name": user.name, "phone": user.phone,
                    "locale": user.locale, "pseudonym": user.pseudonym,
                    "created_at": user.created_at.isoformat(),
                    "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None},
        "memberships": [{"organisation": m.organisation.name, "role": m.role,
                         "since": m.created_at.isoformat()} for m in user.memberships],
        "volunteer": None,
        "volunteer_register": [
            {"seq": e.seq, "at": e.at.isoformat(), "event": e.event, "insured_by": e.insured_by}
            for e in db.session.scalars(select(VolunteerRegisterEntry).where(
                VolunteerRegisterEntry.volunteer_ref == user.pseudonym))],
    }
    if user.volunteer:
        v = user.volunteer
        data["volunteer"] = {
            "status": v.status, "municipality": v.municipality, "vehicle": v.vehicle,
            "cold_transport": v.cold_transport,
            "hygiene_training_on": v.hygiene_training_on.isoformat() if v.hygiene_training_on else None,
            "insured_by": v.insured_by.name if v.insured_by else None}
    for exporter in EXPORTERS:
        key, value = exporter(user)
        data[key] = value
    return data


def delete_account(user):
    """Erase personal data, keep the row as a pseudonym for custody records. Commits."""
    for eraser in ERASERS:
        eraser(user)
    user.email = None
    user.name = "Utente eliminato " + user.pseudonym  # data, not UI text
    user.phone = ""
    user.password_hash = ""
    user.locale = None
    user.session_token = secrets.token_hex(16)
    user.deleted_at = utcnow()
    for membership in list(user.memberships):
        db.session.delete(membership)
    if user.volunteer is not None:
        db.session.delete(user.volunteer)
    db.session.commit()


def change_password(user, current, new):
    """Change the password after checking the current one; logs out other sessions."""
    if not check_password(user, current):
        raise ServiceError("wrong_password", _("La password attuale non è corretta."))
    user.password_hash = hash_password(new)
    user.session_token = secrets.token_hex(16)
    db.session.commit()
