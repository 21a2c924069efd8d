"""The coordinator's volunteer list and volunteer register read a bounded number of rows (issue 17).

The list is keyset-paged by (sign-up time, id) and searchable by name or email;
the register is shown newest first by seq, and each view verifies only the
entries after the last full check's checkpoint (plus the checkpoint entry itself).
"""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.coordination import routes
from app.extensions import db
from app.models import VolunteerProfile, VolunteerRegisterCheck, VolunteerRegisterEntry
from app.models.base import utcnow
from app.services.people import accounts, register
from tests.test_query_budget import _count


def _ids(html):
    """User ids of the volunteer rows, in page order."""
    return [int(n) for n in re.findall(r'id="volunteer-(\d+)"', html)]


def _next(html):
    """The ?dopo= cursor of the page's "more" link, or None."""
    found = re.search(r'href="[^"]*dopo=(\d+)[^"]*"', html)
    return int(found.group(1)) if found else None


@pytest.fixture
def pending(make_user):
    """Factory: n pending volunteers signed up at the same instant (ties broken by id), oldest first."""

    def make(n, at=None, **kwargs):
        at = at or utcnow() - timedelta(days=3)
        people = [make_user("volunteer", volunteer_status="pending", **kwargs) for _ in range(n)]
        for person in people:
            person.volunteer.created_at = at
        db.session.commit()
        return sorted(p.id for p in people)

    return make


# --- the volunteer list ---------------------------------------------------------

def test_volunteer_list_shows_one_page_and_a_link_to_the_next(client, as_role, pending, monkeypatch):
    monkeypatch.setattr(routes, "VOLUNTEER_PAGE", 3)
    as_role("coordinator")
    ids = pending(7)
    html = client.get("/coordinamento/volontari").get_data(as_text=True)
    assert _ids(html) == ids[:3]
    assert _next(html) == ids[2]
    assert "Altri volontari" in html


def test_volunteer_pages_continue_without_duplicates_or_gaps(client, as_role, pending, monkeypatch):
    monkeypatch.setattr(routes, "VOLUNTEER_PAGE", 3)
    as_role("coordinator")
    later = pending(4)
    earlier = pending(3, at=utcnow() - timedelta(days=9))
    seen, after, pages = [], None, 0
    while True:
        html = client.get("/coordinamento/volontari", query_string={"dopo": after} if after else {}).get_data(
            as_text=True)
        seen += _ids(html)
        pages += 1
        after = _next(html)
        if after is None:
            break
    assert seen == earlier + later  # by sign-up time, then id
    assert pages == 3
    assert "Dall&#39;inizio" in html or "Dall'inizio" in html


def test_the_page_size_is_fifty(client, as_role, pending):
    as_role("coordinator")
    ids = pending(51)
    html = client.get("/coordinamento/volontari").get_data(as_text=True)
    assert _ids(html) == ids[:50] and _next(html) == ids[49]
    assert _ids(client.get(f"/coordinamento/volontari?dopo={ids[49]}").get_data(as_text=True)) == ids[50:]


def test_a_cursor_whose_volunteer_changed_status_still_continues(client, as_role, pending, monkeypatch):
    monkeypatch.setattr(routes, "VOLUNTEER_PAGE", 2)
    coordinator = as_role("coordinator")
    ids = pending(5)
    html = client.get("/coordinamento/volontari").get_data(as_text=True)
    cursor = _next(html)
    accounts.decide_volunteer(db.session.get(VolunteerProfile, cursor).user, coordinator, "approve")
    assert _ids(client.get(f"/coordinamento/volontari?dopo={cursor}").get_data(as_text=True)) == ids[2:4]


def test_search_by_name_or_email_ignores_case(client, as_role, make_user):
    as_role("coordinator")
    giovanna = make_user("volunteer", volunteer_status="pending", name="Giovanna Neri", email="gneri@example.org")
    make_user("volunteer", volunteer_status="pending", name="Marco Bianchi", email="mb@example.org")
    approved = make_user("volunteer", name="Anna Neri", email="anna@example.org")
    assert _ids(client.get("/coordinamento/volontari?q=neri").get_data(as_text=True)) == [giovanna.id]
    assert _ids(client.get("/coordinamento/volontari?q=GNERI@").get_data(as_text=True)) == [giovanna.id]
    assert _ids(client.get("/coordinamento/volontari?stato=approved&q=Neri").get_data(as_text=True)) == [approved.id]
    html = client.get("/coordinamento/volontari?q=nessuno").get_data(as_text=True)
    assert _ids(html) == [] and "Nessun volontario trovato con «nessuno»." in html


def test_search_treats_like_wildcards_as_text(client, as_role, make_user):
    as_role("coordinator")
    make_user("volunteer", volunteer_status="pending", name="Marco Bianchi")
    percent = make_user("volunteer", volunteer_status="pending", name="Sconto 100% Rossi")
    assert _ids(client.get("/coordinamento/volontari?q=%25").get_data(as_text=True)) == [percent.id]
    assert _ids(client.get("/coordinamento/volontari?q=_").get_data(as_text=True)) == []


def test_search_pages_keep_the_query(client, as_role, pending, make_user, monkeypatch):
    monkeypatch.setattr(routes, "VOLUNTEER_PAGE", 2)
    as_role("coordinator")
    ids = pending(3, name="Lucia Verdi")
    pending(3)
    html = client.get("/coordinamento/volontari?q=verdi").get_data(as_text=True)
    assert _ids(html) == ids[:2]
    assert f"q=verdi&amp;dopo={ids[1]}" in html or f"dopo={ids[1]}&amp;q=verdi" in html
    assert _ids(client.get(f"/coordinamento/volontari?q=verdi&dopo={ids[1]}").get_data(as_text=True)) == ids[2:]


def test_tabs_count_each_status(client, as_role, pending, make_user):
    as_role("coordinator")
    pending(2)
    make_user("volunteer")
    make_user("volunteer", volunteer_status="suspended")
    html = client.get("/coordinamento/volontari").get_data(as_text=True)
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "Da approvare (2)" in text and "Attivi (1)" in text and "Sospesi (1)" in text and "Respinti (0)" in text


def test_htmx_search_gets_the_list_fragment(client, as_role, make_user):
    as_role("coordinator")
    giovanna = make_user("volunteer", volunteer_status="pending", name="Giovanna Neri")
    response = client.get("/coordinamento/volontari?q=giov", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<div id="volunteer-list"') and _ids(body) == [giovanna.id]
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("query", ["dopo=abc", "dopo=-4", "dopo=", "stato=tutti", "q=" + "x" * 500,
                                   "q=%20%20", "dopo=1.5&q=a"])
def test_odd_volunteer_list_input_is_ignored_safely(client, as_role, pending, query):
    as_role("coordinator")
    pending(2)
    response = client.get(f"/coordinamento/volontari?{query}")
    assert response.status_code == 200


def test_a_cursor_that_matches_no_volunteer_says_so_in_italian(client, as_role, pending):
    as_role("coordinator")
    ids = pending(2)
    html = client.get("/coordinamento/volontari?dopo=987654").get_data(as_text=True)
    assert "Il volontario da cui proseguire non c'è più" in html.replace("&#39;", "'")
    assert _ids(html) == ids


def test_an_out_of_range_cursor_is_refused_in_italian(client, as_role):
    as_role("coordinator")
    response = client.get("/coordinamento/volontari?dopo=99999999999")
    assert response.status_code == 400


def test_decision_row_swap_still_works_from_a_later_page(client, as_role, pending, monkeypatch):
    monkeypatch.setattr(routes, "VOLUNTEER_PAGE", 2)
    as_role("coordinator")
    ids = pending(3)
    html = client.get(f"/coordinamento/volontari?dopo={ids[1]}").get_data(as_text=True)
    assert f'hx-target="#volunteer-{ids[2]}"' in html
    response = client.post(f"/coordinamento/volontari/{ids[2]}/approve", headers={"HX-Request": "true"},
                           data={"note": ""})
    assert response.status_code == 200 and "è stato approvato" in response.get_data(as_text=True)


def test_volunteer_list_statements_do_not_grow(client, as_role, pending, make_user):
    as_role("coordinator")
    ids = pending(3)
    first = len(_count(client, "/coordinamento/volontari")[1])
    later = len(_count(client, f"/coordinamento/volontari?dopo={ids[0]}&q=utente")[1])
    ids += pending(60)
    for n in range(5):
        make_user("volunteer", volunteer_status=("approved", "suspended", "rejected")[n % 3])
    assert len(_count(client, "/coordinamento/volontari")[1]) == first
    assert len(_count(client, f"/coordinamento/volontari?dopo={ids[0]}&q=utente")[1]) == later


# --- the register ---------------------------------------------------------------------

@pytest.fixture
def decisions(as_role, make_user):
    """Factory: n approvals by one coordinator, each a register entry; returns the coordinator."""
    state = {}

    def make(n):
        coordinator = state.setdefault("coordinator", as_role("coordinator"))
        for _ in range(n):
            accounts.decide_volunteer(make_user("volunteer", volunteer_status="pending"), coordinator, "approve")
        return coordinator

    return make


def _entry(seq):
    return db.session.scalar(select(VolunteerRegisterEntry).where(VolunteerRegisterEntry.seq == seq))


def _seqs(html):
    return [int(n) for n in re.findall(r'<tr id="register-(\d+)"', html)]


def test_register_shows_newest_first_in_pages(client, decisions, monkeypatch):
    monkeypatch.setattr(routes, "REGISTER_PAGE", 3)
    decisions(7)
    html = client.get("/coordinamento/registro-volontari").get_data(as_text=True)
    assert _seqs(html) == [7, 6, 5]
    assert _next(html) == 5
    html = client.get("/coordinamento/registro-volontari?dopo=5").get_data(as_text=True)
    assert _seqs(html) == [4, 3, 2]
    html = client.get(f"/coordinamento/registro-volontari?dopo={_next(html)}").get_data(as_text=True)
    assert _seqs(html) == [1] and _next(html) is None


@pytest.mark.parametrize("query", ["dopo=abc", "dopo=0", "dopo=-1", "dopo=999999"])
def test_odd_register_cursor_is_safe(client, decisions, query):
    decisions(2)
    response = client.get(f"/coordinamento/registro-volontari?{query}")
    assert response.status_code == 200


def test_full_check_stores_a_checkpoint(decisions):
    decisions(3)
    check = register.full_check()
    assert (check.last_seq, check.last_hash, check.broken_seq) == (3, _entry(3).hash, None)
    assert db.session.scalar(select(func.count()).select_from(VolunteerRegisterCheck)) == 1


def test_full_check_of_an_empty_register(app):
    check = register.full_check()
    assert (check.last_seq, check.last_hash, check.broken_seq) == (None, None, None)


def test_page_verifies_only_entries_after_the_checkpoint_and_finds_tampering_there(client, decisions):
    decisions(3)
    register.full_check()
    decisions(2)
    entry = _entry(5)
    entry.volunteer_name = "Qualcun altro"
    db.session.commit()
    html = client.get("/coordinamento/registro-volontari").get_data(as_text=True)
    assert "alterato a partire dalla riga 5" in html
    quick = register.quick_check()
    assert quick.broken_seq == 5 and quick.checkpoint.broken_seq is None


def test_page_notices_a_changed_checkpoint_entry(client, decisions):
    decisions(3)
    register.full_check()
    entry = _entry(3)
    entry.event = "suspended"
    db.session.commit()
    assert register.quick_check().broken_seq == 3
    assert "alterato a partire dalla riga 3" in client.get("/coordinamento/registro-volontari").get_data(as_text=True)


def test_page_notices_a_deleted_checkpoint_entry(client, decisions):
    decisions(3)
    register.full_check()
    db.session.delete(_entry(3))
    db.session.commit()
    assert register.quick_check().broken_seq == 3


def test_tampering_before_the_checkpoint_is_found_by_the_full_check(client, decisions):
    decisions(4)
    register.full_check()
    entry = _entry(2)
    entry.volunteer_name = "Qualcun altro"
    db.session.commit()
    # A page view reads only the checkpoint's entry and what follows: a bounded check.
    assert register.quick_check().broken_seq is None
    assert register.full_check().broken_seq == 2
    html = client.get("/coordinamento/registro-volontari").get_data(as_text=True)
    assert "alterato a partire dalla riga 2" in html


def test_a_chain_rewritten_consistently_is_caught_at_the_checkpoint(client, decisions):
    decisions(4)
    register.full_check()
    prev = _entry(1).hash
    for seq in range(2, 5):  # change line 2 and recompute every hash after it
        entry = _entry(seq)
        if seq == 2:
            entry.volunteer_name = "Qualcun altro"
        entry.prev_hash = prev
        entry.hash = entry.compute_hash()
        prev = entry.hash
    db.session.commit()
    assert register.verify_register() is None  # the chain alone looks intact
    assert register.quick_check().broken_seq == 4
    assert register.full_check().broken_seq == 4


def test_without_a_checkpoint_the_page_verifies_from_the_start(client, decisions):
    decisions(3)
    html = client.get("/coordinamento/registro-volontari").get_data(as_text=True)
    assert "Registro integro: 3 righe verificate." in html
    assert "Verifica completa mai eseguita" in html


def test_the_check_of_a_page_view_is_bounded(client, decisions, monkeypatch):
    monkeypatch.setattr(register, "QUICK_LIMIT", 2)
    decisions(2)
    register.full_check()
    decisions(5)
    quick = register.quick_check()
    assert (quick.verified, quick.unverified) == (3, 3)  # the checkpoint's entry and the next two
    html = client.get("/coordinamento/registro-volontari").get_data(as_text=True)
    assert "3 righe più recenti non sono state verificate" in html


def test_coordinator_runs_the_full_check_from_the_page(client, decisions):
    decisions(2)
    response = client.post("/coordinamento/registro-volontari/verifica")
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Verifica completa eseguita: registro integro, 2 righe." in html
    assert db.session.scalar(select(func.count()).select_from(VolunteerRegisterCheck)) == 1


def test_the_full_check_button_needs_the_csrf_token(client, decisions):
    decisions(1)
    response = client.post("/coordinamento/registro-volontari/verifica", csrf=False)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(VolunteerRegisterCheck)) == 0


def test_the_full_check_button_is_for_coordinators_only(client, as_role):
    as_role("volunteer")
    assert client.post("/coordinamento/registro-volontari/verifica").status_code == 403


def test_verify_register_command_stores_a_checkpoint_and_fails_on_tampering(runner, decisions):
    decisions(2)
    result = runner.invoke(args=["verify-register"])
    assert result.exit_code == 0 and "Registro integro (2 righe)." in result.output
    entry = _entry(1)
    entry.insured_by = "altro"
    db.session.commit()
    result = runner.invoke(args=["verify-register"])
    assert result.exit_code == 1 and "Registro alterato dalla riga 1." in result.output
    assert db.session.scalar(select(func.count()).select_from(VolunteerRegisterCheck)) == 2


def test_worker_checks_the_register_once_a_day(decisions):
    from app import worker

    decisions(2)
    job = dict((name, func) for name, _every, func in worker.JOBS)["verify_register"]
    assert job() == "intact, 2 entries"
    assert job() is None  # checked less than a day ago
    check = db.session.scalar(select(VolunteerRegisterCheck))
    check.checked_at = utcnow() - timedelta(days=1, minutes=1)
    db.session.commit()
    assert job() == "intact, 2 entries"


def test_register_page_statements_do_not_grow(client, decisions):
    decisions(3)
    register.full_check()
    decisions(1)
    small = _count(client, "/coordinamento/registro-volontari")[1]
    small_paged = _count(client, "/coordinamento/registro-volontari?dopo=3")[1]
    decisions(60)
    register.full_check()
    decisions(10)
    assert len(_count(client, "/coordinamento/registro-volontari")[1]) == len(small)
    assert len(_count(client, "/coordinamento/registro-volontari?dopo=3")[1]) == len(small_paged)
