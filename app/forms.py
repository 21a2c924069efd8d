"""Form pieces shared by several blueprints."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from app.domain import VEHICLE_LABELS
from app.geo import MUNICIPALITIES
from app.services.people.accounts import MIN_PASSWORD


def options(pairs):
    """SelectField choices from (value, label) pairs (WTForms 3.3 wants SelectChoice)."""
    return [SelectChoice(value, label) for value, label in pairs]


def municipality_choices():
    return options([("", _l("Scegli il comune"))] + [(m, m) for m in sorted(MUNICIPALITIES)])


def email_field(label=_l("Email")):
    return StringField(label, validators=[
        DataRequired(_l("Scrivi la tua email.")),
        Email(_l("Questa email non sembra valida: controlla che ci sia la @ e il dominio."),
              check_deliverability=False),
        Length(max=254)], render_kw={"autocomplete": "email", "inputmode": "email"})


def new_password_fields():
    """A new password and its confirmation."""
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Scegli una password.")),
        Length(min=MIN_PASSWORD, max=200,
               message=_l("La password deve avere almeno %(n)d caratteri.", n=MIN_PASSWORD))],
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Ripeti la password"), validators=[
        DataRequired(_l("Ripeti la password.")),
        EqualTo("password", _l("Le due password non coincidono."))],
        render_kw={"autocomplete": "new-password"})
    return password, confirm


def phone_validator(form, field):
    digits = [c for c in field.data or "" if c.isdigit()]
    if field.data and not (6 <= len(digits) <= 15):
        raise ValidationError(_l("Numero di telefono non valido."))


class VolunteerFieldsMixin:
    """The volunteer's own details, shared by signup and profile."""

    municipality = SelectField(_l("Comune di partenza"), choices=municipality_choices,
                               validators=[DataRequired(_l("Scegli il comune da cui parti."))])
    vehicle = SelectField(_l("Mezzo"), choices=options(VEHICLE_LABELS.items()), default="car")
    cold_transport = BooleanField(_l("Ho un mezzo o contenitori refrigerati o isotermici"))
    hygiene_training_on = DateField(
        _l("Data del corso di igiene alimentare (HACCP)"), validators=[Optional()],
        description=_l("Serve per ritirare prodotti freschi e surgelati."))


__all__ = ["options", "email_field", "new_password_fields", "phone_validator", "VolunteerFieldsMixin",
           "BooleanField", "StringField", "PasswordField", "DataRequired", "Length", "Optional"]
