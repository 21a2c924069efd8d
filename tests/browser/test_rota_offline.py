"""A volunteer holds a weekday at 390x844, then, offline, leaves one slot; back online it is applied once."""
from datetime import timedelta

from app.extensions import db
from app.models import Operation
from app.models.base import utcnow
from app.models.rota import SlotSignup, TraineeConfirmation
from tests.browser.pwa_helpers import outbox, replay, wait_controlled, wait_outbox
from tests.rota_helpers import schedule_payload, send, slots_of


def test_standing_signup_then_an_offline_leave_is_applied_once(phone, browser_login, make_user, make_org, screenshot):
    store = make_org("store", name="Coop Bologna Centro")
    coordinator = make_user("coordinator")
    tomorrow = (utcnow() + timedelta(days=1)).date()
    result = send(coordinator, "schedule.create", **schedule_payload(
        store, weekdays=[tomorrow.weekday()], valid_from=tomorrow.isoformat(), places=2))
    assert result["status"] == "applied"
    schedule_id = result["schedule_id"]
    volunteer = make_user("volunteer", email="vol@example.org")
    db.session.add(TraineeConfirmation(user_id=volunteer.id))
    db.session.commit()
    slot_ids = [s.id for s in slots_of(schedule_id)]
    assert len(slot_ids) >= 4

    browser_login(phone, "vol@example.org")
    wait_controlled(phone)
    phone.goto("/volontario/turni")
    phone.select_option("#standing-choice", f"{schedule_id}:{tomorrow.weekday()}")
    phone.click("#standing-form button[type=submit]")
    phone.wait_for_selector(f"#slot-{slot_ids[1]} .state-note.ok")
    db.session.rollback()  # see what the server committed (SQLite WAL snapshot)
    held = set(db.session.scalars(db.select(SlotSignup.slot_id).where(SlotSignup.user_id == volunteer.id,
                                                                      SlotSignup.status == "joined")))
    assert held == set(slot_ids)
    screenshot(phone, "rota_standing_signup")

    phone.context.set_offline(True)
    card = phone.locator(f"#slot-{slot_ids[1]}")
    card.locator("input[name=reason]").fill("Visita medica")
    card.locator("button.danger").click()
    phone.wait_for_selector("[data-outbox-queued]")
    [queued] = [i for i in outbox(phone) if i["kind"] == "slot.leave"]
    assert queued["state"] == "waiting" and queued["op"]["slot_id"] == slot_ids[1]
    screenshot(phone, "rota_leave_offline")

    phone.context.set_offline(False)
    replay(phone)
    wait_outbox(phone, f"items => items.find(i => i.op_id === '{queued['op_id']}').state === 'sent'")
    replay(phone)  # a second replay changes nothing
    db.session.rollback()
    rows = db.session.scalars(db.select(Operation).where(Operation.op_id == queued["op_id"])).all()
    assert len(rows) == 1 and rows[0].status == "applied" and rows[0].kind == "slot.leave"
    status = dict(db.session.execute(db.select(SlotSignup.slot_id, SlotSignup.status).where(
        SlotSignup.user_id == volunteer.id)).all())
    assert status[slot_ids[1]] == "left" and all(status[s] == "joined" for s in slot_ids if s != slot_ids[1])
    assert db.session.scalar(db.select(SlotSignup.reason).where(SlotSignup.slot_id == slot_ids[1])) == "Visita medica"
    assert phone.console_errors == []
