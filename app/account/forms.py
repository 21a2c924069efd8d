"""Profile forms."""
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from app.forms import VolunteerFieldsMixin, options, new_password_fields, phone_validator

LANGUAGE_CHOICES = options([("it", "Italiano"), ("en", "English")])


class ProfileForm(FlaskForm):
    name = StringField(_l("Nome e cognome"), validators=[
        DataRequired(_l("Scrivi nome e cognome.")), Length(max=120)])
    phone = StringField(_l("Telefono"), validators=[phone_validator])
    locale = SelectField(_l("Lingua"), choices=LANGUAGE_CHOICES)


class VolunteerProfileForm(VolunteerFieldsMixin, ProfileForm):
    def validate_hygiene_training_on(self, field):
        if field.data and field.data > date.today():
            raise ValidationError(_l("La data del corso non può essere nel futuro."))


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Password attuale"), validators=[
        DataRequired(_l("Scrivi la password attuale."))],
        render_kw={"autocomplete": "current-password"})
    password, confirm = new_password_fields()


class DeleteForm(FlaskForm):
    password = PasswordField(_l("Conferma con la tua password"), validators=[
        DataRequired(_l("Scrivi la password per confermare."))],
        render_kw={"autocomplete": "current-password"})


class LanguageForm(FlaskForm):
    lang = SelectField(_l("Lingua"), choices=LANGUAGE_CHOICES)
