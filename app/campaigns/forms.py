"""Forms for writing campaigns and events (Italian first, English optional)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, DateField, DateTimeLocalField, FloatField, HiddenField, IntegerField,
                     SelectField, StringField, TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from app.forms import municipality_choices, options
from app.models.base import utcnow
from app.services.pages.content import ROME, SLUG_RE

PREVIEW = {"data-preview": ""}
# The first format is what <input type="datetime-local"> expects back.
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
MARKDOWN_HINT = _l("Si scrive in Markdown: **grassetto**, *corsivo*, [testo del link](https://…), "
                   "righe che iniziano con «- » per gli elenchi, «## » per un titoletto.")
PUBLICATION = (("draft", _l("Bozza: la vede solo il coordinamento")),
               ("now", _l("Pubblicata: visibile a tutti")),
               ("scheduled", _l("Programmata: si pubblica da sola alla data indicata")))


class ContentForm(FlaskForm):
    """The fields campaigns and events share."""

    title = StringField(_l("Titolo"), validators=[DataRequired(_l("Scrivi il titolo.")), Length(max=140)],
                        render_kw=PREVIEW)
    summary = TextAreaField(_l("Sommario"), validators=[
        DataRequired(_l("Scrivi un sommario di una o due frasi.")),
        Length(max=300, message=_l("Il sommario può avere al massimo 300 caratteri."))],
        description=_l("Una o due frasi: compare negli elenchi e quando la pagina è condivisa."),
        render_kw=PREVIEW | {"rows": 2})
    body = TextAreaField(_l("Testo"), validators=[Length(max=20000)], description=MARKDOWN_HINT,
                         render_kw=PREVIEW | {"rows": 12})
    slug = StringField(_l("Indirizzo della pagina"), validators=[
        Optional(), Length(max=70), Regexp(SLUG_RE, message=_l(
            "Solo lettere minuscole senza accenti, numeri e trattini (es. natale-senza-spreco)."))],
        description=_l("Vuoto: si ricava dal titolo."))
    title_en = StringField(_l("Titolo in inglese"), validators=[Length(max=140)], render_kw=PREVIEW)
    summary_en = TextAreaField(_l("Sommario in inglese"), validators=[Length(max=300)],
                               render_kw=PREVIEW | {"rows": 2})
    body_en = TextAreaField(_l("Testo in inglese"), validators=[Length(max=20000)],
                            render_kw=PREVIEW | {"rows": 8})
    cover = FileField(_l("Immagine di copertina"), description=_l(
        "Una foto JPEG, PNG o WebP, meglio se larga almeno 1600 pixel. Posizione GPS e altri dati "
        "nascosti nella foto vengono tolti."), render_kw={"accept": "image/jpeg,image/png,image/webp"})
    pending_cover = HiddenField()
    cover_alt = StringField(_l("Descrizione dell'immagine"), validators=[Length(max=200)],
                            description=_l("Per chi non vede l'immagine: cosa mostra, in poche parole."))
    cover_alt_en = StringField(_l("Descrizione dell'immagine in inglese"), validators=[Length(max=200)])
    remove_cover = BooleanField(_l("Togli l'immagine attuale"))
    publication = SelectField(_l("Stato"), choices=options(PUBLICATION), default="draft")
    publish_at = DateTimeLocalField(_l("Data e ora di pubblicazione"), validators=[Optional()], tz=ROME,
                                    format=LOCAL_FORMATS,
                                    description=_l("Solo per le pagine programmate (ora italiana)."))

    has_cover = False  # the view sets it when the page already has a cover

    def validate(self, extra_validators=None):
        """Field checks, then the publication date (which Optional() alone cannot require)."""
        valid = super().validate(extra_validators)
        if self.publication.data == "scheduled" and not self.publish_at.errors:
            message = None
            if self.publish_at.data is None:
                message = _l("Indica quando pubblicare la pagina.")
            elif self.publish_at.data <= utcnow():
                message = _l("Questa data è già passata: scegli «Pubblicata» per pubblicare subito.")
            if message:
                self.publish_at.errors = list(self.publish_at.errors) + [message]
                valid = False
        return valid

    def validate_cover_alt(self, field):
        will_have_cover = (self.cover.data or self.pending_cover.data or self.has_cover) \
            and not self.remove_cover.data
        if will_have_cover and not (field.data or "").strip():
            raise ValidationError(_l("Descrivi l'immagine in poche parole: serve a chi usa un lettore "
                                     "di schermo."))

    def validate_body_en(self, field):
        english = [self.title_en.data, self.summary_en.data, field.data]
        if any((v or "").strip() for v in english) and not all(
                (v or "").strip() for v in (self.title_en.data, field.data)):
            raise ValidationError(_l("Per la versione inglese servono almeno il titolo e il testo "
                                     "(oppure lascia vuoti tutti i campi in inglese)."))


class CampaignForm(ContentForm):
    ends_on = DateField(_l("La campagna dura fino al"), validators=[Optional()],
                        description=_l("Facoltativo. Dopo questa data non compare più tra le campagne in corso."))


class EventForm(ContentForm):
    starts_at = DateTimeLocalField(_l("Inizio"), tz=ROME, format=LOCAL_FORMATS, validators=[
        DataRequired(_l("Indica giorno e ora di inizio."))])
    ends_at = DateTimeLocalField(_l("Fine"), tz=ROME, format=LOCAL_FORMATS, validators=[
        DataRequired(_l("Indica giorno e ora di fine."))])
    place_name = StringField(_l("Luogo"), validators=[DataRequired(_l("Scrivi dove si svolge l'evento.")),
                                                      Length(max=160)],
                             description=_l("Per esempio: Piazza Maggiore, Sala Borsa, Emporio Case Zanardi."))
    address = StringField(_l("Indirizzo"), validators=[DataRequired(_l("Scrivi l'indirizzo.")),
                                                       Length(max=200)])
    municipality = SelectField(_l("Comune"), choices=municipality_choices,
                               validators=[DataRequired(_l("Scegli il comune."))])
    lat = FloatField(_l("Latitudine"), validators=[Optional(), NumberRange(-90, 90)],
                     description=_l("Facoltative: rendono più preciso il link alla mappa."))
    lon = FloatField(_l("Longitudine"), validators=[Optional(), NumberRange(-180, 180)])
    capacity = IntegerField(_l("Posti disponibili"), validators=[
        Optional(), NumberRange(1, 100000, _l("Un numero da 1 a 100.000, oppure vuoto."))],
        description=_l("Vuoto: nessun limite. Quando i posti finiscono si apre la lista d'attesa."),
        render_kw={"inputmode": "numeric"})
    rsvp_open = BooleanField(_l("Iscrizioni aperte"), default=True)
    campaign_id = SelectField(_l("Fa parte della campagna"), coerce=int, default=0)

    def validate_ends_at(self, field):
        if field.data and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("La fine deve venire dopo l'inizio."))
