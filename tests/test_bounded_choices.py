"""Forms that choose a store or a charity stay bounded at national size (30,000 stores, 8,000 charities).

Each form offers a bounded list (the nearest charities, the eligible nearest
for a donation, the first stores by name) and finds any other by name or town,
with htmx (buttons that fill the select) and without script (the «Cerca» button
posts the form back with the values kept). The submitted id is still checked.
The agreements list is searched and keyset-paged. Statement counts do not grow
with the number of organisations.
"""
import re

import pytest

from app.extensions import db
from app.models import Organisation
from app.models.partners import Agreement
from app.models.rota import PickupSchedule
from app.services.ops import new_op_id
from tests.partners_support import sign  # noqa: F401
from tests.pickups_helpers import network, reload  # noqa: F401
from tests.rota_helpers import rota, send  # noqa: F401
from tests.test_query_budget import _count

HX = {"HX-Request": "true"}


def _select(html, select_id):
    """The markup of the <select id=select_id>."""
    start = html.index(f'<select id="{select_id}"')
    return html[start:html.index("</select>", start)]


def _options(html, select_id):
    return [int(v) for v in re.findall(r'<option value="(\d+)"', _select(html, select_id))]


def _spread(make_org, kind="charity", far=40, near=30):
    """`far` organisations in Milan (their names sort first) and `near` ones in Bologna."""
    far_ones = [make_org(kind, name=f"Ente Lontano {n:02d}", municipality="Milano", lat=45.46 + n / 1000, lon=9.19)
                for n in range(far)]
    near_ones = [make_org(kind, name=f"Mensa Vicina {n:02d}", municipality="Bologna", lat=44.49 + n / 1000,
                          lon=11.37) for n in range(near)]
    return far_ones, near_ones


# ---- The coordinator's change of charity on the board ----

def test_the_board_offers_the_nearest_eligible_charities_not_every_charity(client, login_as, network, make_org):
    far, near = _spread(make_org)
    donation = network.post(description="Pane")
    login_as(network.coordinator)
    html = client.get(f"/coordinamento/ritiri/{donation.id}").get_data(as_text=True)
    offered = _options(html, "recipient_id")
    assert len(offered) <= 16  # the current charity and the 15 eligible nearest
    assert network.charity.id in offered and f'<option value="{network.charity.id}" selected' in html
    assert "Ente Lontano" not in _select(html, "recipient_id")
    assert near[0].id in offered and " km" in _select(html, "recipient_id")
    assert 'id="f-cerca_ente"' in html and "/organizzazioni/cerca?filtro=ente&amp;campo=recipient_id" in html


def test_the_board_search_finds_any_active_charity_and_the_reassign_takes_it(client, login_as, network, make_org):
    far, _near = _spread(make_org)
    make_org("charity", name="Ente Lontano Chiuso", municipality="Milano", active=False)
    donation = network.post(description="Pane")
    login_as(network.coordinator)
    response = client.get("/organizzazioni/cerca?filtro=ente&campo=recipient_id&cerca_ente=lontano 3", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    picks = [int(v) for v in re.findall(r'data-pick="(\d+)"', html)]
    assert picks == [o.id for o in far[30:40]] and 'data-pick-for="recipient_id"' in html
    closed = client.get("/organizzazioni/cerca?filtro=ente&campo=recipient_id&cerca_ente=chiuso").get_data(
        as_text=True)
    assert "Nessun risultato" in closed  # a form may only choose an active charity
    # Without script: «Cerca» posts the form back; nothing changes, the matches are in the select.
    page = client.post(f"/coordinamento/ritiri/{donation.id}/ente",
                       data={"cerca": "ente", "cerca_ente": "Lontano 39", "override": "1",
                             "recipient_id": str(network.charity.id), "op_id": new_op_id()})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and reload(donation).recipient_id == network.charity.id
    assert far[39].id in _options(html, "recipient_id") and "Risultati della ricerca" in html
    assert 'id="override" name="override" value="1" checked' in html and 'value="Lontano 39"' in html
    done = client.post(f"/coordinamento/ritiri/{donation.id}/ente",
                       data={"op_id": new_op_id(), "recipient_id": str(far[39].id)}, follow_redirects=True)
    assert done.status_code == 200 and reload(donation).recipient_id == far[39].id


@pytest.mark.parametrize("value", ["999999", "abc", "inactive", "store", ""])
def test_the_reassigned_charity_is_still_checked(client, login_as, network, make_org, value):
    closed = make_org("charity", name="Mensa Chiusa", active=False)
    donation = network.post(description="Pane")
    login_as(network.coordinator)
    recipient = {"inactive": str(closed.id), "store": str(network.store.id)}.get(value, value)
    response = client.post(f"/coordinamento/ritiri/{donation.id}/ente",
                           data={"op_id": new_op_id(), "recipient_id": recipient, "override": "1"},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and reload(donation).recipient_id == network.charity.id
    assert "Scegli un ente beneficiario attivo della rete." in html


# ---- The rota's schedule forms ----

def test_a_store_proposes_a_schedule_among_the_nearest_charities_and_finds_any_other(client, rota, login_as,
                                                                                     make_org):
    far, near = _spread(make_org)
    login_as(rota.clerk)
    html = client.get("/negozio/turni/proposta").get_data(as_text=True)
    offered = _options(html, "s-recipient")
    assert len(offered) <= 15 and near[0].id in offered and "Ente Lontano" not in _select(html, "s-recipient")
    assert "Proposta automatica ogni volta" in _select(html, "s-recipient")
    # htmx: a store may search charities (only charities, only for a form).
    found = client.get("/organizzazioni/cerca?filtro=ente&campo=s-recipient&cerca_ente=lontano 07", headers=HX)
    assert found.status_code == 200 and f'data-pick="{far[7].id}"' in found.get_data(as_text=True)
    assert client.get("/organizzazioni/cerca?filtro=negozio&campo=s-store&cerca_negozio=coop").status_code == 403
    assert client.get("/organizzazioni/cerca?filtro=ente&campo=altro&cerca_ente=lontano").status_code == 400
    assert client.get("/coordinamento/impatto/organizzazioni?filtro=ente&cerca_ente=lontano").status_code == 403
    # Without script: the values entered are kept, nothing is proposed yet.
    form = {"op_id": new_op_id(), "weekdays": ["1", "4"], "start_time": "19:00", "end_time": "20:00",
            "places": "2", "valid_from": "2026-12-01", "storages": ["ambient"], "notes": "Citofono 3",
            "recipient_id": "", "skip_holidays": "0"}
    page = client.post("/negozio/turni/proposta", data={**form, "cerca": "ente", "cerca_ente": "Lontano 39"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and db.session.query(PickupSchedule).count() == 0
    assert 'value="Citofono 3"' in html and far[39].id in _options(html, "s-recipient")
    response = client.post("/negozio/turni/proposta", data={**form, "recipient_id": str(far[39].id)})
    assert response.status_code == 302
    assert db.session.scalars(db.select(PickupSchedule)).one().recipient_id == far[39].id


@pytest.mark.parametrize("value", ["999999", "abc", "inactive", "store"])
def test_the_proposed_charity_is_still_checked(client, rota, login_as, make_org, value):
    closed = make_org("charity", name="Mensa Chiusa", active=False)
    login_as(rota.clerk)
    recipient = {"inactive": str(closed.id), "store": str(rota.store.id)}.get(value, value)
    response = client.post("/negozio/turni/proposta", data={
        "op_id": new_op_id(), "weekdays": ["1"], "start_time": "19:00", "end_time": "20:00", "places": "1",
        "valid_from": "2026-12-01", "storages": ["ambient"], "recipient_id": recipient})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and db.session.query(PickupSchedule).count() == 0
    assert re.search(r'class="field-error" id="s-recipient-error">[^<]*[a-z]', html), html[-3000:]


def test_the_coordinator_finds_the_store_of_a_new_schedule_by_search(client, rota, login_as, make_org):
    stores = [make_org("store", name=f"Market {n:02d}", municipality="Ferrara") for n in range(40)]
    last = make_org("store", name="Zeta Alimentari", municipality="Imola")
    far, near = _spread(make_org)
    login_as(rota.coordinator)
    html = client.get("/coordinamento/turni/nuovo").get_data(as_text=True)
    assert len(_options(html, "s-store")) <= 15 and last.id not in _options(html, "s-store")
    assert _options(html, "s-recipient") == []  # no store yet: the charities are searched
    assert "Scegli il punto vendita per vedere gli enti vicini" in html
    found = client.get("/organizzazioni/cerca?filtro=negozio&campo=s-store&cerca_negozio=zeta", headers=HX)
    assert f'data-pick="{last.id}"' in found.get_data(as_text=True)
    form = {"op_id": new_op_id(), "weekdays": ["2"], "start_time": "19:00", "end_time": "20:00", "places": "1",
            "valid_from": "2026-12-01", "storages": ["ambient"], "recipient_id": "", "store_id": ""}
    page = client.post("/coordinamento/turni/nuovo", data={**form, "cerca": "negozio", "cerca_negozio": "imola"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and last.id in _options(html, "s-store")
    chosen = client.post("/coordinamento/turni/nuovo", data={**form, "store_id": str(last.id), "cerca": "ente",
                                                            "cerca_ente": "nessuno"})
    html = chosen.get_data(as_text=True)  # the store chosen: its nearest charities are offered
    assert f'<option value="{last.id}" selected' in html and len(_options(html, "s-recipient")) == 15
    assert client.post("/coordinamento/turni/nuovo", data={**form, "store_id": str(last.id)}).status_code == 302
    assert db.session.scalars(db.select(PickupSchedule)).one().store_id == last.id
    assert stores  # the first by name are offered, the rest searched


@pytest.mark.parametrize("value", ["999999", "abc", "charity", ""])
def test_the_schedule_store_is_still_checked(client, rota, login_as, value):
    login_as(rota.coordinator)
    store = {"charity": str(rota.charity.id)}.get(value, value)
    response = client.post("/coordinamento/turni/nuovo", data={
        "op_id": new_op_id(), "weekdays": ["1"], "start_time": "19:00", "end_time": "20:00", "places": "1",
        "valid_from": "2026-12-01", "storages": ["ambient"], "store_id": store})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and db.session.query(PickupSchedule).count() == 0
    assert "flash-error" in html or 'id="s-store-error"' in html


def test_editing_a_schedule_keeps_a_far_charity_chosen_before(client, rota, login_as, make_org):
    far, _near = _spread(make_org)
    schedule = rota.schedule(recipient_id=far[20].id)
    login_as(rota.coordinator)
    html = client.get(f"/coordinamento/turni/{schedule.id}/modifica").get_data(as_text=True)
    assert f'<option value="{far[20].id}" selected' in html and "s-store" not in html
    assert len(_options(html, "s-recipient")) <= 16


# ---- The agreements list ----

def test_the_agreements_list_is_searched_and_keyset_paged(client, login_as, make_org, make_user, sign):
    from app.services.partners import agreements

    day = agreements.today()
    missing = [make_org("charity", name=f"Mensa {n:02d}", municipality="Ferrara") for n in range(60)]
    signed = [make_org("store", name=f"Coop {n:02d}") for n in range(55)]
    for n, org in enumerate(signed):
        sign(org, day, ends=10 + n % 7)
    login_as(make_user("coordinator"))
    first = client.get("/coordinamento/convenzioni").get_data(as_text=True)
    listed = re.findall(r"Mensa (\d\d)", first[first.index('id="missing-title"'):first.index('id="all-title"')])
    assert len(listed) == 50 and "Altri senza convenzione" in first
    after = re.search(r'dopo_senza=(\d+)', first).group(1)
    second = client.get(f"/coordinamento/convenzioni?dopo_senza={after}").get_data(as_text=True)
    rest = re.findall(r"Mensa (\d\d)", second[second.index('id="missing-title"'):second.index('id="all-title"')])
    assert sorted(listed + rest) == [f"{n:02d}" for n in range(60)], (listed, rest)
    assert "inizio</a>" in second
    table = first[first.index('id="all-title"'):]
    ids = re.findall(r"/convenzioni/(\d+)\"", table)
    assert len(ids) == 50 and "Altre convenzioni" in table
    next_after = re.search(r"[?&]amp;dopo=(\d+)|[?]dopo=(\d+)", table)
    more = client.get(f"/coordinamento/convenzioni?dopo={next_after.group(1) or next_after.group(2)}")
    more_ids = re.findall(r"/convenzioni/(\d+)\"", more.get_data(as_text=True).split('id="all-title"')[1])
    everything = [int(i) for i in ids + more_ids]
    assert sorted(everything) == sorted(a.id for a in db.session.scalars(db.select(Agreement)))
    ends = {a.id: a.ends_on for a in db.session.scalars(db.select(Agreement))}
    assert [ends[i] for i in everything] == sorted(ends[i] for i in everything)  # soonest to end first
    found = client.get("/coordinamento/convenzioni?q=mensa 59").get_data(as_text=True)
    assert "Mensa 59" in found and "Mensa 58" not in found and "Coop 01" not in found.split('id="all-title"')[1]
    none = client.get("/coordinamento/convenzioni?q=nessuno").get_data(as_text=True)
    assert "Nessuna convenzione trovata con «nessuno»" in none
    assert client.get("/coordinamento/convenzioni?dopo=abc&dopo_senza=999999").status_code == 200
    assert missing


# ---- Statements do not grow with the number of organisations ----

def _grow(make_org, n):
    for i in range(n):
        make_org("charity", name=f"Altro Ente {i:03d}", lat=44.4 + i / 500, lon=11.3)
        make_org("store", name=f"Altro Negozio {i:03d}", lat=44.4 + i / 500, lon=11.3)


@pytest.mark.parametrize("page", ["board", "propose", "new", "edit", "agreements"])
def test_choice_pages_read_a_fixed_number_of_statements(client, login_as, network, make_org, make_user, page):
    donation = network.post(description="Pane")
    schedule_store = network.store
    result = send(network.coordinator, "schedule.create", store_id=schedule_store.id, weekdays=[1], start_time="19:00",
                  end_time="20:00", places=1, valid_from="2026-12-01", storages=["ambient"])
    path, user = {
        "board": (f"/coordinamento/ritiri/{donation.id}?cerca_ente=altro", network.coordinator),
        "propose": ("/negozio/turni/proposta?cerca_ente=altro", network.clerk),
        "new": ("/coordinamento/turni/nuovo?cerca_negozio=altro&cerca_ente=altro", network.coordinator),
        "edit": (f"/coordinamento/turni/{result['schedule_id']}/modifica?cerca_ente=altro", network.coordinator),
        "agreements": ("/coordinamento/convenzioni?q=altro", network.coordinator)}[page]
    login_as(user)
    _grow(make_org, 5)
    client.get(path)
    db.session.expire_all()  # every count starts from a cold session, as a real request does
    status, small = _count(client, path)
    assert status == 200
    _grow(make_org, 60)
    db.session.expire_all()
    status, large = _count(client, path)
    assert status == 200
    listing = "\n  ".join(large)
    assert len(large) == len(small), f"{path}: {len(small)} then {len(large)} statements:\n  {listing}\nSMALL\n  " + "\n  ".join(small)
    assert Organisation.query.count() > 120
