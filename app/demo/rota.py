"""Demo rota: schedules for the demo stores, sign-ups (one standing), an absence, an empty slot,
a trial volunteer and a store's proposal, all made through the operations."""
from datetime import timedelta

from sqlalchemy import select

from app.demo.network import DEMO_PASSWORD, MUNICIPALITIES
from app.extensions import db
from app.models import Membership, Organisation, User, VolunteerProfile
from app.models.base import utcnow
from app.models.rota import Slot
from app.services import ops
from app.services.people import accounts
from app.services.rota.recurrence import ROME, local_day


def _apply(user, kind, **fields):
    result = ops.apply({"op_id": ops.new_op_id(), "kind": kind, **fields}, user, source="demo")
    return result


def _trainee(coordinator, office_id):
    """A newly approved volunteer with no pickups yet: in training (affiancamento)."""
    user = User(email="nuovo@demo.raccolto.it", name="Luca Ferri", phone="+39 333 123 4567",
                password_hash=accounts.hash_password(DEMO_PASSWORD))
    lat, lon = MUNICIPALITIES["Bologna"]
    user.volunteer = VolunteerProfile(status="pending", municipality="Bologna", vehicle="car", cold_transport=False,
                                      base_lat=lat, base_lon=lon, insured_by_id=office_id)
    db.session.add(user)
    db.session.flush()
    accounts.decide_volunteer(user, coordinator, "approve")
    db.session.commit()
    return user


def seed_rota(rng):
    """Three schedules, the demo volunteer's standing sign-up, others' sign-ups, an absence, a trainee."""
    coordinator = db.session.scalar(select(User).join(Membership).where(Membership.role == "coordinator"))
    clerks = {m.organisation_id: m.user for m in db.session.scalars(select(Membership).where(Membership.role == "store"))}
    stores = [s for s in db.session.scalars(select(Organisation).where(Organisation.kind == "store")
                                            .order_by(Organisation.id)) if s.id in clerks]
    charity = db.session.scalar(select(Organisation).where(Organisation.kind == "charity").order_by(Organisation.id))
    if coordinator is None or len(stores) < 3:
        return
    today = local_day(utcnow())
    _apply(coordinator, "rota.settings", weekly_cap=3, cap_lift_hours=24, trial_pickups=3)
    evening = sorted({1, 4, today.weekday()})  # Tuesday, Friday and today, so the store sees today's pickup
    # 19:00, or later when the demo starts in the evening, so today's slot is still ahead.
    hour = min(max(19, utcnow().astimezone(ROME).hour + 1), 22)
    main = _apply(coordinator, "schedule.create", store_id=stores[0].id, weekdays=evening,
                  start_time=f"{hour:02d}:00", end_time=f"{hour:02d}:59", places=2, valid_from=today.isoformat(), recipient_id=charity.id,
                  storages=["ambient", "chilled"], exceptions=[(today + timedelta(days=40)).isoformat()],
                  notes="Ingresso merci sul retro")
    _apply(coordinator, "schedule.create", store_id=stores[1].id, weekdays=[0, 1, 2, 3, 4], start_time="18:30",
           end_time="19:30", places=1, valid_from=today.isoformat(), storages=["ambient"])
    _apply(coordinator, "schedule.create", store_id=stores[2].id, rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=SA",
           start_time="12:00", end_time="13:00", places=2, valid_from=today.isoformat(), storages=["ambient"])
    _apply(clerks[stores[1].id], "schedule.propose", weekdays=[5], start_time="13:00", end_time="14:00", places=1,
           valid_from=(today + timedelta(days=7)).isoformat(), storages=["ambient"])
    volunteers = db.session.scalars(select(User).join(VolunteerProfile, VolunteerProfile.user_id == User.id)
                                    .where(VolunteerProfile.status == "approved").order_by(User.id)).all()
    demo = next((v for v in volunteers if v.email == "volontario@demo.raccolto.it"), volunteers[0])
    others = [v for v in volunteers if v.id != demo.id]
    if main.get("status") == "applied":
        _apply(demo, "slot.standing", schedule_id=main["schedule_id"], weekday=today.weekday())
    slots = db.session.scalars(select(Slot).where(Slot.status == "open").order_by(Slot.window_start)).all()
    # Most slots get a volunteer; a few stay empty (the coordinator's week shows them first).
    for index, slot in enumerate(slots):
        if index % 4 == 3 or not others:
            continue
        _apply(rng.choice(others), "slot.join", slot_id=slot.id)
    if others:
        away = others[0]
        _apply(away, "slot.absence", date_from=(today + timedelta(days=8)).isoformat(),
               date_to=(today + timedelta(days=12)).isoformat(), note="Ferie")
    office_id = demo.volunteer.insured_by_id
    trainee = _trainee(coordinator, office_id)
    for slot in db.session.scalars(select(Slot).where(Slot.status == "open").order_by(Slot.window_start)).all():
        if any(s.status == "joined" for s in slot.signups) and slot.free_places:
            if _apply(trainee, "slot.join", slot_id=slot.id)["status"] == "applied":
                break
    db.session.commit()
