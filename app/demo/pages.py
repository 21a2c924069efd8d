"""Demo campaigns and events: two published campaigns and a draft, upcoming events
(one full, with a waitlist), a scheduled one, RSVPs and a message from a shop."""
import secrets
from datetime import date, datetime, time, timedelta, timezone

from PIL import Image, ImageDraw
from sqlalchemy import select

from app.extensions import db
from app.geo import MUNICIPALITIES
from app.models import User
from app.models.auth import hash_token
from app.models.base import utcnow
from app.models.page import Campaign, ContactRequest, Event, Rsvp
from app.services.pages import images, markdown as md
from app.services.pages.published import ROME

FIRST = ["Giulia", "Marco", "Sofia", "Luca", "Chiara", "Matteo", "Francesca", "Andrea", "Elisa", "Davide",
         "Martina", "Simone", "Valentina", "Stefano", "Alessia", "Fabio", "Irene", "Nicola", "Serena", "Pietro"]
LAST = ["Rossi", "Bianchi", "Ferrari", "Esposito", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno",
        "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo", "Lombardi", "Moretti", "Barbieri"]

NATALE = """Durante le feste nei supermercati avanza più cibo del solito: panettoni, frutta,
piatti pronti. Con **Natale senza spreco** i punti vendita della provincia donano le eccedenze
e i volontari le portano ogni giorno agli enti della rete.

## Come puoi aiutare

- **Se hai un'auto**: iscriviti come volontario e scegli i ritiri vicino a casa.
- **Se hai un negozio**: scrivici, ti spieghiamo come donare in modo semplice e sicuro.
- **Se vuoi conoscerci**: vieni alla cena solidale del 20 dicembre.

> Nel dicembre scorso la rete ha salvato oltre 11 tonnellate di cibo.

La legge 166/2016 (legge Gadda) semplifica le donazioni e riduce la tassa rifiuti di chi dona.
"""
NATALE_EN = """Supermarkets have more surplus food than ever during the holidays. With **Christmas
without waste** the province's shops donate what they cannot sell, and volunteers take it to
charities every day.

## How you can help

- **If you have a car**: sign up as a volunteer and pick the collections near you.
- **If you run a shop**: write to us and we will explain how to donate simply and safely.
"""
PANE = """Ogni sera i forni della provincia hanno pane e focacce invenduti, ancora buoni per giorni.
**Pane di ieri, pranzo di oggi** li porta la mattina dopo alle mense e agli empori solidali.

## Per i forni

1. Mettete da parte il pane invenduto a fine giornata.
2. Pubblicate la donazione sull'app: bastano trenta secondi.
3. Un volontario passa entro le 10 del mattino dopo.

Il pane donato resta tracciato dal forno all'ente, con il documento di trasporto.
"""
ESTATE = """Bozza: campagna estiva su frutta e verdura fresche. Da completare con i dati
dei mercati ortofrutticoli e le date dei ritiri straordinari.
"""
CENA = """Una cena preparata dai cuochi volontari con le eccedenze raccolte nella settimana.
Si mangia insieme, si conosce chi fa funzionare la rete e si scopre quanto cibo si può salvare.

- Menu vegetariano e una proposta senza glutine
- Offerta libera: il ricavato va all'Emporio Solidale
"""
LAB = """Un laboratorio pratico per imparare a cucinare con quello che di solito si butta:
pane raffermo, verdure un po' mosce, bucce e avanzi. Con la cuoca **Marta Gentilini**.

Porta un grembiule e un contenitore: quello che cuciniamo lo portiamo a casa.
"""
PIAZZA = """Una giornata in Piazza Maggiore per raccontare la rete: banchetto informativo,
dimostrazioni con le cassette QR e iscrizioni per nuovi volontari. Ingresso libero,
l'iscrizione ci aiuta a preparare il materiale.
"""
INCONTRO = """Incontro di primavera per volontari, negozi ed enti: bilancio dell'anno e nuovi turni."""


def _cover(rng, top, bottom):
    """A simple illustrated cover (gradient and soft shapes), stored like an upload."""
    width, height = 1600, 900
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / height
        draw.line([(0, y), (width, y)], fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom)))
    for _ in range(14):
        r = rng.randint(40, 170)
        x, y = rng.randint(0, width), rng.randint(0, height)
        shade = tuple(min(255, c + rng.randint(20, 70)) for c in top)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=shade)
    return images.store(image)


def _at(days, hour, minute=0):
    """An aware UTC datetime `days` from today at hour:minute in Rome."""
    local = datetime.combine(date.today() + timedelta(days=days), time(hour, minute), tzinfo=ROME)
    return local.astimezone(timezone.utc)


def _page(model, **fields):
    item = model(**fields)
    item.body_html = md.render(item.body)
    item.body_en_html = md.render(item.body_en or "")
    db.session.add(item)
    return item


def _rsvps(rng, event, count, users=()):
    """`count` RSVPs in arrival order: confirmed while seats last, then the waitlist."""
    taken = 0
    for i in range(count):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
        user = users[i] if i < len(users) else None
        people = rng.choice((1, 2, 2, 3, 4))
        fits = event.capacity is None or taken + people <= event.capacity
        status = "confirmed" if fits and all(r.status != "waitlist" for r in event.rsvps) else "waitlist"
        taken += people if status == "confirmed" else 0
        event.rsvps.append(Rsvp(
            name=user.name if user else f"{first} {last}",
            email=user.email if user else f"{first}.{last.replace(' ', '')}{i}@example.it".lower(),
            people=people, status=status, token_hash=hash_token(secrets.token_urlsafe(24)), locale="it",
            user_id=user.id if user else None, created_at=utcnow() - timedelta(hours=count - i)))


def seed_pages(rng):
    """Campaigns, events, RSVPs and a contact request for the demo."""
    office_user = db.session.scalar(select(User).where(User.email == "coordinatore@demo.raccolto.it"))
    volunteer = db.session.scalar(select(User).where(User.email == "volontario@demo.raccolto.it"))
    by = office_user.id if office_user else None
    now = utcnow()
    natale = _page(Campaign, slug="natale-senza-spreco", title="Natale senza spreco",
                   summary="Durante le feste il cibo che avanza arriva a chi ne ha bisogno: dona, guida, partecipa.",
                   body=NATALE, title_en="Christmas without waste",
                   summary_en="During the holidays, surplus food reaches people who need it.", body_en=NATALE_EN,
                   cover=_cover(rng, (160, 32, 40), (46, 96, 60)), cover_alt="Illustrazione con colori natalizi",
                   cover_alt_en="Illustration in Christmas colours", status="published",
                   publish_at=now - timedelta(days=10), ends_on=date.today() + timedelta(days=45),
                   created_by_id=by)
    _page(Campaign, slug="pane-di-ieri", title="Pane di ieri, pranzo di oggi",
          summary="Il pane invenduto dei forni diventa il pranzo delle mense solidali il giorno dopo.",
          body=PANE, cover=_cover(rng, (196, 140, 60), (120, 72, 30)),
          cover_alt="Illustrazione nei colori del pane", status="published",
          publish_at=now - timedelta(days=40), created_by_id=by)
    _page(Campaign, slug="estate-fresca", title="Estate fresca: frutta e verdura", summary="Bozza.",
          body=ESTATE, status="draft", created_by_id=by)

    lat, lon = MUNICIPALITIES["Bologna"]
    cena = _page(Event, slug="cena-solidale-di-natale", title="Cena solidale di Natale",
                 summary="Cena con le eccedenze della settimana, cucinata dai volontari. Offerta libera.",
                 body=CENA, title_en="Christmas solidarity dinner",
                 summary_en="A dinner cooked by volunteers with the week's surplus food.", body_en=CENA,
                 starts_at=_at(12, 19, 30), ends_at=_at(12, 22, 30), place_name="Emporio Solidale Case Zanardi",
                 address="Via Capo di Lucca 37", municipality="Bologna", lat=44.5001, lon=11.3496,
                 capacity=40, rsvp_open=True, campaign=natale, status="published",
                 publish_at=now - timedelta(days=8), created_by_id=by,
                 cover=_cover(rng, (120, 30, 36), (40, 60, 90)), cover_alt="Illustrazione di una tavola imbandita")
    lab = _page(Event, slug="cucinare-con-gli-avanzi", title="Laboratorio: cucinare con gli avanzi",
                summary="Ricette furbe con pane raffermo, verdure e bucce. Si cucina e si porta a casa.",
                body=LAB, starts_at=_at(5, 17), ends_at=_at(5, 19, 30), place_name="Casa di Quartiere Scipione dal Ferro",
                address="Via Sante Vincenzi 50", municipality="Bologna", lat=lat, lon=lon, capacity=20,
                rsvp_open=True, campaign=natale, status="published", publish_at=now - timedelta(days=5),
                created_by_id=by)
    piazza = _page(Event, slug="raccolto-in-piazza", title="Raccolto in piazza",
                   summary="Banchetto informativo, dimostrazioni e iscrizioni per nuovi volontari.",
                   body=PIAZZA, starts_at=_at(19, 10), ends_at=_at(19, 18), place_name="Piazza Maggiore",
                   address="Piazza Maggiore", municipality="Bologna", lat=44.4938, lon=11.3430,
                   capacity=None, rsvp_open=True, status="published", publish_at=now - timedelta(days=2),
                   created_by_id=by)
    _page(Event, slug="incontro-di-primavera", title="Incontro di primavera della rete", summary="Bilancio e nuovi turni.",
          body=INCONTRO, starts_at=_at(60, 18), ends_at=_at(60, 20), place_name="Sala Borsa",
          address="Piazza del Nettuno 3", municipality="Bologna", capacity=80, rsvp_open=True,
          status="published", publish_at=now + timedelta(days=20), created_by_id=by)
    db.session.flush()
    _rsvps(rng, cena, 22, users=[volunteer] if volunteer else ())
    _rsvps(rng, lab, 5)
    _rsvps(rng, piazza, 3)
    db.session.add(ContactRequest(
        kind="donor", name="Roberta Galli", organisation="Frutta e Verdura Galli, Via Andrea Costa 40",
        email="roberta.galli@example.it", phone="051 612 3344", municipality="Bologna",
        message="Buongiorno, il sabato ci avanzano 3-4 cassette di frutta e verdura. Come possiamo donarle?"))
