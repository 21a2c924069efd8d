"""Organisation and invitation forms."""
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, FloatField, IntegerField, SelectField, SelectMultipleField,
                     StringField, TextAreaField)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.domain import CATEGORIES
from app.forms import email_field, options, municipality_choices, phone_validator
from app.services import ServiceError
from app.services.people.orgs import parse_hours


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def vat_validator(form, field):
    """Italian partita IVA: 11 digits with a Luhn-style check digit."""
    value = re.sub(r"\s", "", field.data or "").upper().removeprefix("IT")
    if not value:
        return
    if not re.fullmatch(r"\d{11}", value):
        raise ValidationError(_l("La partita IVA ha 11 cifre."))
    total = 0
    for i, ch in enumerate(value[:10]):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n * 2 > 9 else n * 2
        total += n
    if (10 - total % 10) % 10 != int(value[10]):
        raise ValidationError(_l("La partita IVA non è valida (cifra di controllo errata)."))
    field.data = value


class OrganisationForm(FlaskForm):
    name = StringField(_l("Nome"), validators=[DataRequired(_l("Scrivi il nome.")), Length(max=160)])
    address = StringField(_l("Indirizzo"), validators=[DataRequired(_l("Scrivi l'indirizzo.")),
                                                       Length(max=200)])
    municipality = SelectField(_l("Comune"), choices=municipality_choices,
                               validators=[DataRequired(_l("Scegli il comune."))])
    lat = FloatField(_l("Latitudine"), validators=[Optional(), NumberRange(-90, 90)])
    lon = FloatField(_l("Longitudine"), validators=[Optional(), NumberRange(-180, 180)])
    vat_number = StringField(_l("Partita IVA"), validators=[vat_validator])
    phone = StringField(_l("Telefono"), validators=[phone_validator])
    email = StringField(_l("Email"), validators=[Optional(), Length(max=160)])
    notes = TextAreaField(_l("Note per i volontari"), validators=[Length(max=2000)])


class CharityForm(OrganisationForm):
    receiving_hours = StringField(
        _l("Orari di ricezione"), validators=[DataRequired(_l("Indica quando l'ente può ricevere."))],
        description=_l("Per esempio: lun-ven 9-12, 15-18; sab 9-12"))
    categories_accepted = MultiCheckboxField(_l("Categorie accettate"),
                                             choices=options((k, v[0]) for k, v in CATEGORIES.items()))
    cold_storage = BooleanField(_l("Ha celle o frigoriferi per prodotti freschi e surgelati"))
    people_served_week = IntegerField(_l("Persone servite a settimana"), validators=[
        InputRequired(_l("Indica quante persone serve a settimana (solo il numero).")),
        NumberRange(1, 100000, _l("Un numero tra 1 e 100.000."))])

    def validate_receiving_hours(self, field):
        try:
            self.parsed_hours = parse_hours(field.data)
        except ServiceError as error:
            raise ValidationError(error.message) from None

    def validate_categories_accepted(self, field):
        if not field.data:
            raise ValidationError(_l("Scegli almeno una categoria."))


class InvitationForm(FlaskForm):
    email = StringField(_l("Email della persona (facoltativa)"), validators=[
        Optional(), Length(max=254),
        Email(_l("Questa email non sembra valida: controlla che ci sia la @ e il dominio."),
              check_deliverability=False)],
        description=_l("Se la scrivi, l'invito le arriva anche per email."))
    note = StringField(_l("Nota (es. nome e mansione)"), validators=[Length(max=200)])


class DecisionForm(FlaskForm):
    note = StringField(_l("Nota (facoltativa)"), validators=[Length(max=500)])


__all__ = ["OrganisationForm", "CharityForm", "InvitationForm", "DecisionForm", "email_field"]
