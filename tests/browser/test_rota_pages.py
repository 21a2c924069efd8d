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


def test_a_store_finds_a_far_charity_for_its_proposal_by_search(phone, browser_login, make_user, make_org,
                                                                 screenshot):
    """The charity is searched as one types; a tap puts it in the select; Enter in the search does not submit."""
    from app.models.rota import PickupSchedule

    store = make_org("store", name="Coop Bologna Centro", lat=44.4949, lon=11.3426)
    make_user("store", org=store, email="negozio@example.org")
    for n in range(30):
        make_org("charity", name=f"Mensa Vicina {n:02d}", lat=44.49 + n / 1000, lon=11.35)
    far = make_org("charity", name="Banco Alimentare Milano", municipality="Milano", lat=45.46, lon=9.19)
    browser_login(phone, "negozio@example.org")
    phone.goto("/negozio/turni/proposta")
    assert phone.locator("#s-recipient option").count() == 16  # automatic proposal + the 15 nearest
    phone.check("input[name=weekdays][value='1']")
    phone.fill("#f-cerca_ente", "milano")
    phone.wait_for_selector("#suggest-s-recipient button:has-text('Banco Alimentare Milano')")
    phone.press("#f-cerca_ente", "Enter")  # searches again, never submits the form
    phone.locator("#s-recipient").evaluate("e => e.scrollIntoView({block: 'center'})")
    screenshot(phone, "rota_proposal_search", full_page=False)
    phone.click("#suggest-s-recipient button:has-text('Banco Alimentare Milano')")
    assert phone.eval_on_selector("#s-recipient", "s => s.value") == str(far.id)
    assert db.session.query(PickupSchedule).count() == 0
    phone.click("button.primary[type=submit]")
    phone.wait_for_selector("text=Proposta inviata al coordinamento.")
    db.session.rollback()  # the test's own read transaction predates the server's write
    assert db.session.scalars(db.select(PickupSchedule)).one().recipient_id == far.id
    assert phone.console_errors == []
