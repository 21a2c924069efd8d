"""Demo organisations and people in the province of Bologna."""
from datetime import date, timedelta

from app.extensions import db
from app.geo import MUNICIPALITIES, PROVINCE
from app.models import Membership, Organisation, User, VolunteerProfile
from app.services.people import accounts

DEMO_PASSWORD = "raccolto-demo"
DEMO_LOGINS = (
    ("coordinatore@demo.raccolto.it", "coordinatore"),
    ("negozio@demo.raccolto.it", "personale di un punto vendita"),
    ("volontario@demo.raccolto.it", "volontario autista approvato"),
    ("ente@demo.raccolto.it", "personale di un ente beneficiario"),
)


def vat(base10):
    """A valid Italian partita IVA from 10 digits (adds the check digit)."""
    total = 0
    for i, ch in enumerate(base10):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n * 2 > 9 else n * 2
        total += n
    return base10 + str((10 - total % 10) % 10)


STORES = [
    ("SuperFresco Bologna Mazzini", "Via Mazzini 146", "Bologna", (44.4893, 11.3712)),
    ("Mercato Amico San Donato", "Via San Donato 64", "Bologna", (44.5063, 11.3688)),
    ("Alimentari Conti Casalecchio", "Via Porrettana 214", "Casalecchio di Reno", (44.4729, 11.2790)),
    ("SuperFresco San Lazzaro", "Via Emilia 251", "San Lazzaro di Savena", (44.4700, 11.4052)),
    ("Ipermercato Centro Nova", "Via Villanova 29", "Castenaso", (44.5012, 11.4188)),
    ("Panificio Forno Vecchio", "Via Cavour 12", "Imola", (44.3537, 11.7126)),
    ("Mercato Amico Castel Maggiore", "Via Gramsci 180", "Castel Maggiore", (44.5745, 11.3601)),
]

CHARITIES = [
    ("Caritas Diocesana di Bologna – Emporio", "Via del Monte 5", "Bologna", (44.4942, 11.3455),
     [[d, "09:00", "12:30"] for d in range(0, 5)] + [[d, "15:00", "18:00"] for d in range(0, 5)],
     None, True, 420),
    ("Emporio Solidale Case Zanardi", "Via Capo di Lucca 37", "Bologna", (44.5001, 11.3496),
     [[d, "10:00", "19:00"] for d in range(0, 6)], None, True, 300),
    ("Banco di Solidarietà di Casalecchio", "Via Marconi 35", "Casalecchio di Reno", (44.4769, 11.2755),
     [[d, "14:00", "18:00"] for d in (0, 2, 4)], ["frutta_verdura", "pane_forno", "dispensa",
                                                   "bevande", "dolci_snack", "infanzia"], False, 120),
    ("Mensa della Fraternità Imola", "Via Mazzini 60", "Imola", (44.3541, 11.7152),
     [[d, "08:00", "11:30"] for d in range(0, 7)], None, True, 210),
    ("Rifugio Amici a Quattro Zampe", "Via Nuova 3", "Budrio", (44.5380, 11.5330),
     [[d, "09:00", "17:00"] for d in range(0, 6)], ["non_umano"], False, 1),
]

VOLUNTEERS = [
    # name, email local part, municipality, vehicle, cold, training years ago, status
    ("Giulia Bianchi", "volontario", "Bologna", "van", True, 1, "approved"),
    ("Marco Ferri", "marco.ferri", "Bologna", "car", False, 2, "approved"),
    ("Anna Lodi", "anna.lodi", "Casalecchio di Reno", "car", True, 1, "approved"),
    ("Luca Mazzoni", "luca.mazzoni", "San Lazzaro di Savena", "van", True, 3, "approved"),
    ("Sara Gentili", "sara.gentili", "Imola", "car", False, None, "approved"),
    ("Paolo Righi", "paolo.righi", "Castel Maggiore", "car", True, 1, "approved"),
    ("Elena Costa", "elena.costa", "Bologna", "none", False, 1, "approved"),
    ("Davide Neri", "davide.neri", "Castenaso", "van", True, 4, "approved"),
    ("Chiara Gallo", "chiara.gallo", "Zola Predosa", "car", False, 1, "approved"),
    ("Youssef El Amrani", "youssef.elamrani", "Bologna", "car", False, None, "pending"),
    ("Francesca Serra", "francesca.serra", "Budrio", "van", True, 1, "pending"),
    ("Roberto Villa", "roberto.villa", "Pianoro", "car", False, 2, "pending"),
    ("Ilaria Monti", "ilaria.monti", "Medicina", "car", False, 1, "suspended"),
]


def _user(email, name, phone=""):
    user = User(email=email, name=name, phone=phone,
                password_hash=accounts.hash_password(DEMO_PASSWORD))
    db.session.add(user)
    return user


def seed_network(rng):
    """Coordination office, stores, charities, staff and volunteers (with register)."""
    office = Organisation(kind="coordination", name="Provincia di Bologna – Ufficio Politiche Sociali",
                          address="Via Zamboni 13", municipality="Bologna", province=PROVINCE,
                          lat=44.4958, lon=11.3478, vat_number=vat("0341170037"),
                          phone="051 659 8111", email="politichesociali@demo.raccolto.it")
    db.session.add(office)
    coordinator = _user("coordinatore@demo.raccolto.it", "Laura Martinelli", "+39 051 659 8200")
    db.session.add(Membership(user=coordinator, organisation=office, role="coordinator"))

    stores = []
    for i, (name, address, town, (lat, lon)) in enumerate(STORES):
        org = Organisation(kind="store", name=name, address=address, municipality=town,
                           province=PROVINCE, lat=lat, lon=lon, vat_number=vat(f"0{2345670 + i * 7:07d}37"),
                           phone=f"051 {rng.randint(200, 899)} {rng.randint(1000, 9999)}",
                           notes="Ritiro dal retro, citofono «magazzino»." if i % 2 == 0 else "")
        db.session.add(org)
        stores.append(org)
    clerk = _user("negozio@demo.raccolto.it", "Stefano Rinaldi", "+39 333 111 2233")
    db.session.add(Membership(user=clerk, organisation=stores[0], role="store"))
    for i, store in enumerate(stores[1:], start=2):
        staff = _user(f"negozio{i}@demo.raccolto.it", f"Personale {store.name.split()[0]} {i}")
        db.session.add(Membership(user=staff, organisation=store, role="store"))

    charities = []
    for i, (name, address, town, (lat, lon), hours, cats, cold, people) in enumerate(CHARITIES):
        from app.domain import CATEGORIES

        org = Organisation(kind="charity", name=name, address=address, municipality=town,
                           province=PROVINCE, lat=lat, lon=lon, receiving_hours=hours,
                           categories_accepted=cats or [c for c in CATEGORIES if c != "non_umano"],
                           cold_storage=cold, people_served_week=people,
                           vat_number=vat(f"9{1234560 + i * 11:07d}37")[:11])
        db.session.add(org)
        charities.append(org)
    charity_staff = _user("ente@demo.raccolto.it", "Don Matteo Ricci", "+39 347 555 0101")
    db.session.add(Membership(user=charity_staff, organisation=charities[0], role="charity"))
    for i, charity in enumerate(charities[1:], start=2):
        staff = _user(f"ente{i}@demo.raccolto.it", f"Operatore {charity.name.split()[0]} {i}")
        db.session.add(Membership(user=staff, organisation=charity, role="charity"))
    db.session.flush()

    today = date.today()
    for name, local, town, vehicle, cold, years, status in VOLUNTEERS:
        user = _user(f"{local}@demo.raccolto.it", name, f"+39 3{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}")
        lat, lon = MUNICIPALITIES[town]
        user.volunteer = VolunteerProfile(
            status="pending", municipality=town, vehicle=vehicle, cold_transport=cold,
            base_lat=lat, base_lon=lon, insured_by_id=office.id,
            hygiene_training_on=(today - timedelta(days=365 * years - 30)) if years else None)
        db.session.flush()
        if status in ("approved", "suspended"):
            accounts.decide_volunteer(user, coordinator, "approve")
        if status == "suspended":
            accounts.decide_volunteer(user, coordinator, "suspend", "Assicurazione da rinnovare")
    db.session.flush()
    return {"office": office, "stores": stores, "charities": charities}
