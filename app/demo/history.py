"""Demo history: two months of donations in every state, made through the same operations.

Every step is an operation applied with `ops.apply(..., backfill=True, now=then)`,
so the log, the custody timelines, the flags and the impact numbers come out as
if the network had been running for DAYS days: posted, claimed, picked up
(some partially, some sent late from a phone without signal), delivered,
received (a few with problems), cancelled, expired, one custody conflict, one
too-warm lot, a few late unclaims. Today's donations are left in every open
state for the demo logins to act on.
"""
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Donation, Flag, Membership, Organisation, User, VolunteerProfile
from app.models.base import utcnow
from app.services import ops
from app.services.logistics import pickups
from app.services.food import recipients
from app.services.ops import rules

DAYS = 63
ROME = rules.ROME
# category, storage, descriptions, kg range, crates range, kind of date on the label
LOTS = (
    ("frutta_verdura", "ambient", ("Mele e pere", "Insalate e verdure a foglia", "Agrumi misti",
                                   "Pomodori e zucchine", "Banane mature"), (6, 30), (1, 4), "none"),
    ("pane_forno", "ambient", ("Pane del giorno", "Focacce e pizzette", "Brioche e cornetti"), (3, 12), (1, 2),
     "produced"),
    ("dispensa", "ambient", ("Pasta e riso", "Legumi in scatola", "Passata di pomodoro",
                             "Biscotti e fette biscottate"), (8, 40), (1, 4), "best_before"),
    ("latticini", "chilled", ("Yogurt e formaggi freschi", "Latte fresco", "Mozzarelle e ricotta"), (5, 20),
     (1, 3), "use_by"),
    ("carne", "chilled", ("Carne macinata e fettine", "Salsicce e spiedini"), (4, 12), (1, 2), "use_by"),
    ("gastronomia", "chilled", ("Piatti pronti e insalate di riso", "Lasagne e primi pronti"), (3, 10), (1, 2),
     "use_by"),
    ("surgelati", "frozen", ("Verdure surgelate", "Pesce surgelato"), (5, 15), (1, 3), "best_before"),
    ("dolci_snack", "ambient", ("Merendine e snack", "Dolci da ricorrenza"), (4, 15), (1, 3), "best_before"),
)
CANCEL_REASONS = ("Merce venduta in giornata", "Errore di inserimento", "Confezioni danneggiate al controllo")
UNCLAIM_REASONS = ("Imprevisto personale", "Problema con il mezzo", "Sto male", "Traffico, non arrivo in tempo")
PROBLEMS = (("spoiled", "Frutta ammaccata e in parte marcia"), ("damaged", "Cassetta rotta, confezioni aperte"),
            ("spoiled", "Odore sgradevole, scartata"))


@dataclass
class Cast:
    """The demo network's people, as the history needs them."""

    stores: list  # [(store, clerk)]
    volunteers: list  # [(user, may carry cold food)]
    charity_staff: dict  # charity id -> a staff user
    coordinator: User
    demo_volunteer: User
    demo_charity: Organisation


def _cast():
    def staff(role):
        return {m.organisation_id: m.user for m in db.session.scalars(
            select(Membership).where(Membership.role == role).order_by(Membership.id))}

    clerks = staff("store")
    stores = [(org, clerks[org.id]) for org in db.session.scalars(
        select(Organisation).where(Organisation.kind == "store").order_by(Organisation.id)) if org.id in clerks]
    volunteers = db.session.scalars(select(User).join(VolunteerProfile, VolunteerProfile.user_id == User.id)
                                    .where(VolunteerProfile.status == "approved").order_by(User.id)).all()
    # Who may carry chilled and frozen food, decided once (the claim would refuse the others).
    today = rules.local_date(utcnow())
    volunteers = [(v, v.volunteer.cold_transport and (rules.training_valid_until(v.volunteer) or today) > today)
                  for v in volunteers]
    charity_staff = staff("charity")
    demo_volunteer = db.session.scalar(select(User).where(User.email == "volontario@demo.raccolto.it"))
    demo_charity = db.session.scalar(select(Organisation).where(Organisation.kind == "charity")
                                     .order_by(Organisation.id))
    return Cast(stores=stores, volunteers=volunteers, charity_staff=charity_staff,
                coordinator=next(iter(staff("coordinator").values())), demo_volunteer=demo_volunteer or volunteers[0][0],
                demo_charity=demo_charity)


class History:
    """Applies the operations of the demo, each at the time it happened."""

    def __init__(self, rng, cast, now):
        self.rng, self.cast, self.now = rng, cast, now
        # Past weeks are entered after the fact (subscribers see ctx.backfill and need not
        # notify anyone about them); today's steps are ordinary, so they notify as usual.
        self.backfill = True

    # --- one operation ---------------------------------------------------------------
    def op(self, user, kind, at, sent=None, source="form", **fields):
        """Apply `kind` as `user`, happened at `at`, reached the server at `sent` (default: at)."""
        raw = {"op_id": ops.new_op_id(), "kind": kind, "occurred_at": at.isoformat(), **fields}
        return ops.apply(raw, user, source=source, backfill=self.backfill, now=sent or at)

    def minutes(self, low, high):
        return timedelta(minutes=self.rng.randint(low, high))

    def past(self, moment, margin=1):
        """Never later than `margin` minutes ago: today's steps must not happen in the future."""
        return min(moment, self.now - timedelta(minutes=margin))

    # --- a donation ------------------------------------------------------------------
    def post(self, store, clerk, start, hours=2, lot=None, recipient=None, posted_before=None):
        """Post a donation whose window starts at `start` (aware, local or UTC); None if nobody can take it."""
        rng = self.rng
        category, storage, names, kg, crates, date_kind = lot or rng.choice(LOTS)
        end = start + timedelta(hours=hours)
        posted = self.past(start - (posted_before or self.minutes(60, 300)), margin=30)
        needs_cold = storage != "ambient"
        recipient = recipient or recipients.propose(store, category, needs_cold, start, end, now=posted)
        if recipient is None or recipients.ineligibility(recipient, category, needs_cold, start, end):
            return None
        day = rules.local_date(end)
        food_date, confirmed = None, False
        if date_kind == "use_by":
            food_date = day + timedelta(days=rng.randint(1, 3))
        elif date_kind == "produced":
            food_date = rules.local_date(start)
        elif date_kind == "best_before":
            confirmed = rng.random() < 0.12
            food_date = day - timedelta(days=rng.randint(1, 10)) if confirmed else day + timedelta(
                days=rng.randint(20, 120))
        result = self.op(clerk, "donation.post", posted, category=category, storage=storage,
                         description=rng.choice(names), kg=round(rng.uniform(*kg), 1),
                         crates=rng.randint(*crates), date_kind=date_kind,
                         date=food_date.isoformat() if food_date else None, best_before_confirmed=confirmed,
                         window_start=start.isoformat(), window_end=end.isoformat(), recipient_id=recipient.id,
                         notes=rng.choice(("", "", "Suonare al magazzino", "Chiedere al banco gastronomia")))
        return db.session.get(Donation, result["donation_id"]) if result["status"] == "applied" else None

    def volunteer_for(self, donation, at, exclude=()):
        """An approved volunteer allowed to take this donation (cold chain, training)."""
        fit = [v for v, cold_ok in self.cast.volunteers if v.id not in exclude
               and (cold_ok or not rules.needs_cold(donation))]
        return self.rng.choice(fit) if fit else None

    def claim(self, donation, volunteer=None, exclude=()):
        at = self.past(donation.posted_at + self.minutes(10, 90), margin=20)
        volunteer = volunteer or self.volunteer_for(donation, at, exclude)
        if volunteer is None or self.op(volunteer, "donation.claim", at, donation_id=donation.id)["status"] != "applied":
            return None, at
        return volunteer, at

    def carry(self, donation, volunteer, partial=False, problem=False, receive=True, deliver=True):
        """Scan, pick up, deliver and (by the charity) receive; some phones send it all late."""
        rng = self.rng
        db.session.refresh(donation)
        crates = [c.token for c in donation.crates]
        if partial and len(crates) > 1:
            crates = crates[:-1]
        at = self.past(donation.window_start + self.minutes(5, 70), margin=50)
        offline = rng.random() < 0.25
        back_online = self.past(at + self.minutes(50, 120)) if offline else None
        source = "offline" if offline else "form"
        for token in crates:
            at += timedelta(seconds=rng.randint(15, 60))
            self.op(volunteer, "crate.scan", at, sent=back_online, source=source, token=token, stage="pickup")
        reading = None
        if donation.storage == "chilled":
            reading = round(rng.uniform(2.0, 6.5), 1)
        elif donation.storage == "frozen":
            reading = round(rng.uniform(-21.0, -17.0), 1)
        self.op(volunteer, "donation.pickup", at + self.minutes(1, 4), sent=back_online, source=source,
                donation_id=donation.id, temperature_c=reading, best_before_confirmed=donation.best_before_confirmed)
        if not deliver:
            return at
        at += self.minutes(15, 45)
        self.op(volunteer, "donation.deliver", at, sent=back_online, source=source, donation_id=donation.id)
        if not receive:
            return at
        staff = self.cast.charity_staff.get(donation.recipient_id)
        at += self.minutes(5, 40)
        if rng.random() < 0.5:
            for token in crates:
                at += timedelta(seconds=rng.randint(10, 40))
                self.op(staff, "crate.scan", at, token=token, stage="receipt")
        problems = []
        if problem:
            kind, note = rng.choice(PROBLEMS)
            problems.append({"token": crates[-1], "kind": kind, "note": note})
        share = len(crates) / len(donation.crates)
        self.op(staff, "donation.receive", at + self.minutes(1, 10), donation_id=donation.id,
                received_kg=round(donation.kg_declared * share * rng.uniform(0.85, 1.03), 1), problems=problems)
        return at

    def expire(self, donation):
        when = donation.window_end + self.minutes(1, 3)
        ops.apply_system("donation.expire", {"donation_id": donation.id}, now=when,
                         op_id=f"expire-{donation.id}-{when:%Y%m%d%H%M}")

    # --- what happens to a past donation ------------------------------------------------
    def live(self, donation, allow_repost=True):
        """Give a donation of the past one of the endings a real one has."""
        rng, roll = self.rng, self.rng.random()
        clerk = next(c for s, c in self.cast.stores if s.id == donation.store_id)
        if roll < 0.07 or donation.recipient_id is None:
            return self.expire(donation)
        if roll < 0.11:
            self.op(clerk, "donation.cancel", donation.posted_at + self.minutes(20, 60), donation_id=donation.id,
                    reason=rng.choice(CANCEL_REASONS))
            return None
        volunteer, claimed_at = self.claim(donation)
        if volunteer is None:
            return self.expire(donation)
        if roll < 0.13:  # claimed, then the store had to withdraw it
            self.op(clerk, "donation.cancel", claimed_at + self.minutes(10, 40), donation_id=donation.id,
                    reason=rng.choice(CANCEL_REASONS))
            return None
        if roll < 0.17:  # gives it back, sometimes at the last moment, and someone else goes
            late = rng.random() < 0.5
            at = donation.window_start - (self.minutes(30, 90) if late else self.minutes(150, 240))
            self.op(volunteer, "donation.unclaim", max(at, claimed_at + self.minutes(5, 10)),
                    donation_id=donation.id, reason=rng.choice(UNCLAIM_REASONS))
            volunteer, _at = self.claim(donation, exclude=(volunteer.id,))
            if volunteer is None:
                return self.expire(donation)
        partial = rng.random() < 0.12 and donation.crates_count > 1
        self.carry(donation, volunteer, partial=partial, problem=rng.random() < 0.06)
        if partial and allow_repost and rng.random() < 0.6:
            result = self.op(clerk, "donation.repost", donation.window_start + self.minutes(100, 140),
                             donation_id=donation.id)
            if result["status"] == "applied":
                self.live(db.session.get(Donation, result["donation_id"]), allow_repost=False)
        return None

    def conflict(self, donation):
        """Two volunteers at the same store: the one who scanned takes custody; flagged."""
        first, _at = self.claim(donation)
        second = first and self.volunteer_for(donation, donation.window_start, exclude=(first.id,))
        if second is None:
            return self.live(donation)
        self.carry(donation, second)

    def too_warm(self, donation):
        """A chilled lot found too warm: refused at pickup, then withdrawn by the store."""
        volunteer, _at = self.claim(donation)
        if volunteer is None:
            return self.expire(donation)
        db.session.refresh(donation)
        at = donation.window_start + self.minutes(5, 20)
        self.op(volunteer, "crate.scan", at, token=donation.crates[0].token, stage="pickup")
        self.op(volunteer, "donation.pickup", at + self.minutes(1, 3), donation_id=donation.id, temperature_c=13.5)
        clerk = next(c for s, c in self.cast.stores if s.id == donation.store_id)
        self.op(clerk, "donation.cancel", at + self.minutes(10, 20), donation_id=donation.id,
                reason="Catena del freddo interrotta: merce scartata")


def _window(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), ROME)


def seed_history(rng, now=None):
    """DAYS days of donations through the operations, then today's open pickups."""
    now = now or utcnow()
    cast = _cast()
    if not cast.stores or not cast.volunteers:
        return
    history = History(rng, cast, now)
    today = rules.local_date(now)
    weights = [4] + [2] * (len(cast.stores) - 1)  # the demo clerk's store is the busiest
    specials = {DAYS - 20: "conflict", DAYS - 35: "too_warm"}
    for offset in range(DAYS, 0, -1):
        day = today - timedelta(days=offset)
        for _n in range(rng.randint(2, 4)):
            store, clerk = rng.choices(cast.stores, weights)[0]
            baker = store.name.startswith("Panificio")
            start = _window(day, rng.choice((9, 10, 17, 18, 18, 19)) if not baker else 19, rng.choice((0, 30)))
            special = specials.pop(offset, None)
            lot = LOTS[4] if special == "too_warm" else (LOTS[1] if baker else None)
            donation = history.post(store, clerk, start, lot=lot)
            if donation is None:
                continue
            if special == "conflict":
                history.conflict(donation)
            elif special == "too_warm":
                history.too_warm(donation)
            else:
                history.live(donation)
    _resolve_old_flags(cast, now)
    _today(history, now)


def _resolve_old_flags(cast, now):
    """The coordinator has handled what happened before yesterday; today's flags stay open."""
    for flag in db.session.scalars(select(Flag).where(Flag.resolved_at.is_(None),
                                                      Flag.created_at < now - timedelta(days=1))).all():
        pickups.resolve_flag(flag, cast.coordinator, now=flag.created_at + timedelta(hours=3))


def _today(history, now):
    """Open pickups for the demo logins: to claim, claimed, on the way, delivered, one late unclaim."""
    cast, rng = history.cast, history.rng
    history.backfill = False
    later = now + timedelta(hours=2)
    tomorrow = _window(rules.local_date(now) + timedelta(days=1), 18)
    caritas, demo = cast.demo_charity, cast.demo_volunteer

    def post(store_index, start, **kwargs):
        store, clerk = cast.stores[store_index % len(cast.stores)]
        return history.post(store, clerk, start, posted_before=timedelta(minutes=rng.randint(60, 180)), **kwargs)

    # On the way to the demo charity, and one waiting for its confirmation.
    for index, deliver in ((0, False), (3, True)):
        donation = post(index, now - timedelta(minutes=80), hours=3, lot=LOTS[0], recipient=caritas) \
            or post(index, now - timedelta(minutes=80), hours=3, lot=LOTS[0])
        if donation is not None:
            history.claim(donation, volunteer=demo)
            history.carry(donation, demo, deliver=deliver, receive=False)
    # Claimed by the demo volunteer, and by someone else.
    for index, volunteer in ((1, demo), (2, None)):
        donation = post(index, later + timedelta(minutes=30 * index), lot=LOTS[2])
        if donation is not None:
            history.claim(donation, volunteer=volunteer, exclude=(demo.id,))
    # Open for anyone: later today and tomorrow, one chilled.
    for index, start, lot in ((0, later, LOTS[3]), (4, later + timedelta(hours=1), LOTS[0]),
                              (5, tomorrow, LOTS[2]), (6, tomorrow, LOTS[7])):
        post(index, start, lot=lot)
    # Given back at the last moment: open again, flagged on the coordinator's board.
    donation = post(3, now + timedelta(minutes=75), lot=LOTS[0])
    if donation is not None:
        volunteer, claimed_at = history.claim(donation, exclude=(demo.id,))
        if volunteer is not None:
            history.op(volunteer, "donation.unclaim", max(now - timedelta(minutes=10), claimed_at),
                       donation_id=donation.id, reason="Il furgone non parte")
