"""The rota's store and coordinator pages in a real phone-sized browser: no CSP or script errors."""
from app.extensions import db
from app.models.base import utcnow
from app.models.rota import TraineeConfirmation
from tests.rota_helpers import schedule_payload, send, slots_of


def _network(make_user, make_org):
    store = make_org("store", name="Coop Bologna Centro")
    charity = make_org("charity", name="Caritas Bologna")
    make_user("store", org=store, email="negozio@example.org")
    coordinator = make_user("coordinator", email="coord@example.org")
    today = utcnow().date()
    result = send(coordinator, "schedule.create", **schedule_payload(
        store, weekdays=list(range(7)), valid_from=today.isoformat(), start_time="23:00", end_time="23:59",
        recipient_id=charity.id, skip_holidays=False))
    volunteer = make_user("volunteer", name="Giulia Bianchi")
    db.session.add(TraineeConfirmation(user_id=volunteer.id))
    db.session.commit()
    slots = slots_of(result["schedule_id"])
    send(volunteer, "slot.join", slot_id=slots[0].id)
    make_user("volunteer", name="Luca Ferri")  # in training: listed for the coordinator
    return slots


def test_store_today_and_coordinator_week_render_cleanly(phone, browser_login, make_user, make_org, screenshot):
    slots = _network(make_user, make_org)
    browser_login(phone, "negozio@example.org")
    phone.goto("/negozio/")
    assert "Ritiri programmati di oggi" in phone.inner_text("main")
    assert "Giulia Bianchi" in phone.inner_text("main")
    screenshot(phone, "rota_store_today")
    phone.click(f"a[href$='turno={slots[0].id}']")
    phone.wait_for_selector("input[name=slot_id]", state="attached")
    screenshot(phone, "rota_store_prefilled")
    phone.context.clear_cookies()  # sign out without the logout page's cache clearing (not tested here)
    browser_login(phone, "coord@example.org")
    phone.goto("/coordinamento/turni")
    text = phone.inner_text("main")
    assert "Turni della settimana" in text and "Luca Ferri" in text
    screenshot(phone, "rota_coordinator_week")
    phone.goto("/coordinamento/turni/nuovo")
    screenshot(phone, "rota_schedule_form")
    assert phone.console_errors == []
