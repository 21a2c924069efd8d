"""Every rule on what may be donated (DOMAIN.md), through the API, the form and inline validation.

One table: each row changes a valid donation so that exactly one rule is
broken, and names the refusal code, the field that is wrong (the form's own
field name where it differs) and a piece of the Italian message people read.
"""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Donation
from tests.donations_support import clock, error_in, form_data, op, payload, shop, unescape  # noqa: F401


def _d(clock, days):
    return (clock.today + timedelta(days=days)).isoformat()


# (id, changes (clock -> dict), code, payload field, form field, Italian message fragment)
CASES = [
    ("use-by before the window ends", lambda c: {"date_kind": "use_by", "date": _d(c, -1)},
     "use_by_passed", "date", "date", "è prima della fine del ritiro"),
    ("use-by today, window ending tomorrow", lambda c: {"date_kind": "use_by", "date": _d(c, 0),
                                                        "window_end": c.at(9, days=1).isoformat()},
     "use_by_passed", "date", None, "non si può donare"),
    ("best-before past, not confirmed", lambda c: {"category": "dispensa", "storage": "ambient",
                                                   "date_kind": "best_before", "date": _d(c, -10)},
     "best_before_unconfirmed", "best_before_confirmed", "best_before_confirmed",
     "conferma che le confezioni sono integre"),
    ("bakery produced more than 24 h before the window ends",
     lambda c: {"category": "pane_forno", "storage": "ambient", "date_kind": "produced", "date": _d(c, -1)},
     "bakery_too_old", "date", "date", "entro 24 ore dalla produzione"),
    ("bakery rule for chilled food", lambda c: {"category": "pane_forno", "storage": "chilled",
                                                "date_kind": "produced", "date": _d(c, 0)},
     "bakery_not_ambient", "storage", "storage", "non richiedono il freddo"),
    ("bakery production date in the future", lambda c: {"category": "pane_forno", "storage": "ambient",
                                                         "date_kind": "produced", "date": _d(c, 1)},
     "invalid", "date", "date", "non può essere nel futuro"),
    ("use-by without a date", lambda c: {"date_kind": "use_by", "date": ""},
     "invalid", "date", "date", "Indica la data di scadenza"),
    ("window ends before it starts", lambda c: {"window_start": c.at(12).isoformat(),
                                                "window_end": c.at(11).isoformat()},
     "window_order", "window_end", "window_to", "deve venire dopo l'inizio"),
    ("window already over", lambda c: {"window_start": c.at(7).isoformat(), "window_end": c.at(8).isoformat()},
     "window_past", "window_end", "window_to", "è già finita"),
    ("zero kg", lambda c: {"kg": 0}, "kg_out_of_range", "kg", "kg", "più di 0 kg e al massimo 2000 kg"),
    ("negative kg", lambda c: {"kg": -4}, "kg_out_of_range", "kg", "kg", "più di 0 kg"),
    ("more than 2000 kg", lambda c: {"kg": 2000.5}, "kg_out_of_range", "kg", "kg", "al massimo 2000 kg"),
    ("kg not a number", lambda c: {"kg": "tanti"}, "invalid", "kg", "kg", "con un numero"),
    ("no crates", lambda c: {"crates": 0}, "crates_out_of_range", "crates", "crates", "da 1 a 60"),
    ("61 crates", lambda c: {"crates": 61}, "crates_out_of_range", "crates", "crates", "da 1 a 60"),
    ("no category", lambda c: {"category": ""}, "invalid", "category", "category", "Scegli la categoria"),
    ("no description", lambda c: {"description": "  "}, "invalid", "description", "description",
     "Descrivi in poche parole"),
    ("negative value", lambda c: {"value_eur": -3}, "invalid", "value_eur", "value_eur", "tra 0 e 1.000.000"),
]


@pytest.mark.parametrize("changes,code,field,form_field,message", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_rule_refused_through_the_api(client, login_as, shop, clock, changes, code, field, form_field, message):
    login_as(shop.clerk)
    response = client.post("/api/ops", json={"ops": [op("donation.post", **payload(clock, **changes(clock)))]})
    assert response.status_code == 200
    result = response.get_json()["results"][0]
    assert (result["status"], result["code"], result["field"]) == ("refused", code, field)
    assert message in result["message"]
    assert message in result["errors"][field]
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 0


@pytest.mark.parametrize("changes,code,field,form_field,message",
                         [c[1:] for c in CASES if c[4]], ids=[c[0] for c in CASES if c[4]])
def test_rule_shown_beside_its_field_in_the_form(client, login_as, shop, clock, changes, code, field,
                                                 form_field, message):
    login_as(shop.clerk)
    response = client.post("/negozio/nuova", data=form_data(payload(clock, **changes(clock))))
    assert response.status_code == 422
    assert message in unescape(error_in(response.get_data(as_text=True), form_field))
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 0


@pytest.mark.parametrize("changes,code,field,form_field,message",
                         [c[1:] for c in CASES if c[4]], ids=[c[0] for c in CASES if c[4]])
def test_rule_shown_inline_while_typing(client, login_as, shop, clock, changes, code, field, form_field, message):
    login_as(shop.clerk)
    response = client.post("/negozio/nuova/controlla", data=form_data(payload(clock, **changes(clock))),
                           headers={"HX-Request": "true", "HX-Trigger-Name": form_field})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert message in unescape(error_in(body, form_field))


@pytest.mark.parametrize("changes", [
    pytest.param(lambda c: {}, id="a normal chilled donation"),
    pytest.param(lambda c: {"date_kind": "use_by", "date": _d(c, 0)}, id="use-by on the day of pickup"),
    pytest.param(lambda c: {"category": "dispensa", "storage": "ambient", "date_kind": "best_before",
                            "date": _d(c, -10), "best_before_confirmed": True}, id="best-before past, confirmed"),
    pytest.param(lambda c: {"category": "pane_forno", "storage": "ambient", "date_kind": "produced",
                            "date": _d(c, 0)}, id="bakery produced today"),
    pytest.param(lambda c: {"category": "frutta_verdura", "storage": "ambient", "date_kind": "none",
                            "date": ""}, id="fruit without a date"),
    pytest.param(lambda c: {"kg": 2000, "crates": 60}, id="the largest donation"),
])
def test_allowed_donations_are_posted_by_api_and_form(client, login_as, shop, clock, changes):
    login_as(shop.clerk)
    data = payload(clock, **changes(clock))
    result = client.post("/api/ops", json={"ops": [op("donation.post", **data)]}).get_json()["results"][0]
    assert result["status"] == "applied", result
    response = client.post("/negozio/nuova", data=form_data(data))
    assert response.status_code == 302, unescape(response.get_data(as_text=True))[:2000]
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 2


def test_the_form_shows_every_problem_at_once(client, login_as, shop, clock):
    login_as(shop.clerk)
    data = payload(clock, kg=0, crates=99, description="")
    body = client.post("/negozio/nuova", data=form_data(data)).get_data(as_text=True)
    assert "più di 0 kg" in unescape(error_in(body, "kg"))
    assert "da 1 a 60" in unescape(error_in(body, "crates"))
    assert "Descrivi" in unescape(error_in(body, "description"))


def test_inline_check_waits_for_untouched_empty_fields(client, login_as, shop, clock):
    """Choosing the category must not shout about the weight nobody has typed yet."""
    login_as(shop.clerk)
    fields = form_data(payload(clock, kg="", description=""))
    body = client.post("/negozio/nuova/controlla", data=fields,
                       headers={"HX-Request": "true", "HX-Trigger-Name": "category"}).get_data(as_text=True)
    assert error_in(body, "kg") == "" and error_in(body, "description") == ""
    body = client.post("/negozio/nuova/controlla", data=fields,
                       headers={"HX-Request": "true", "HX-Trigger-Name": "kg"}).get_data(as_text=True)
    assert "Indica il peso" in error_in(body, "kg")


def test_inline_check_sets_the_storage_of_the_category(client, login_as, shop, clock):
    login_as(shop.clerk)
    fields = form_data(payload(clock, category="surgelati", storage="ambient"))
    body = client.post("/negozio/nuova/controlla", data=fields,
                       headers={"HX-Request": "true", "HX-Trigger-Name": "category"}).get_data(as_text=True)
    assert 'id="storage-field" hx-swap-oob="true"' in body
    assert 'value="frozen" checked' in body
    assert 'id="recipient-field" hx-swap-oob="true"' in body and shop.charity.name in body


def test_recipients_follow_the_storage_the_category_brings(client, login_as, shop, clock, make_org):
    make_org("charity", name="Parrocchia senza frigo", cold_storage=False)
    login_as(shop.clerk)
    fields = form_data(payload(clock, category="surgelati", storage="ambient"))
    body = client.post("/negozio/nuova/controlla", data=fields,
                       headers={"HX-Request": "true", "HX-Trigger-Name": "category"}).get_data(as_text=True)
    assert shop.charity.name in body and "Parrocchia senza frigo" not in body
