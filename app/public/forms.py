"""Forms citizens fill in: RSVP to an event, contact the coordinators."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.forms import email_field, municipality_choices, options, phone_validator
from app.services.pages.rsvp import MAX_PEOPLE


class HoneypotMixin:
    """A field people never see; bots that fill every input give themselves away."""

    website = StringField(_l("Lascia vuoto questo campo"), validators=[Optional()],
                          render_kw={"autocomplete": "off", "tabindex": "-1"})

    @property
    def is_bot(self):
        """True when the hidden field came back filled in."""
        return bool((self.website.data or "").strip())


class RsvpForm(HoneypotMixin, FlaskForm):
    name = StringField(_l("Nome e cognome"), validators=[
        DataRequired(_l("Scrivi il tuo nome.")), Length(max=120, message=_l("Il nome è troppo lungo."))],
        render_kw={"autocomplete": "name"})
    email = email_field()
    people = IntegerField(_l("Quante persone (te compreso)"), default=1, validators=[
        InputRequired(_l("Indica quante persone partecipano.")),
        NumberRange(1, MAX_PEOPLE, _l("Da 1 a %(n)d persone per iscrizione.", n=MAX_PEOPLE))],
        render_kw={"inputmode": "numeric", "min": 1, "max": MAX_PEOPLE})


CONTACT_KINDS = (("donor", _l("Ho un negozio: voglio donare")),
                 ("volunteer", _l("Voglio fare volontariato")),
                 ("other", _l("Altro")))


class ContactForm(HoneypotMixin, FlaskForm):
    kind = SelectField(_l("Ci scrivi perché…"), choices=options(CONTACT_KINDS), default="donor")
    name = StringField(_l("Nome e cognome"), validators=[
        DataRequired(_l("Scrivi il tuo nome.")), Length(max=120)], render_kw={"autocomplete": "name"})
    organisation = StringField(_l("Negozio o organizzazione"), validators=[Length(max=160)],
                               description=_l("Facoltativo. Per i negozi: insegna e indirizzo."),
                               render_kw={"autocomplete": "organization"})
    email = email_field()
    phone = StringField(_l("Telefono"), validators=[phone_validator, Length(max=40)],
                        description=_l("Facoltativo: ti richiamiamo noi."),
                        render_kw={"autocomplete": "tel", "inputmode": "tel"})
    municipality = SelectField(_l("Comune"), choices=municipality_choices, validators=[Optional()])
    message = TextAreaField(_l("Messaggio"), validators=[
        DataRequired(_l("Scrivi due righe: cosa vorresti fare con noi?")),
        Length(max=3000, message=_l("Il messaggio è troppo lungo (massimo 3000 caratteri)."))])
