"""Forms for login, signup and invitations."""
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from app.forms import VolunteerFieldsMixin, email_field, new_password_fields, phone_validator


class LoginForm(FlaskForm):
    email = email_field()
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Scrivi la password."))],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Resta collegato su questo telefono"))


class VolunteerSignupForm(VolunteerFieldsMixin, FlaskForm):
    name = StringField(_l("Nome e cognome"), validators=[
        DataRequired(_l("Scrivi nome e cognome.")), Length(max=120)],
        render_kw={"autocomplete": "name"})
    email = email_field()
    phone = StringField(_l("Telefono"), validators=[
        DataRequired(_l("Serve un telefono per coordinare i ritiri.")), phone_validator],
        render_kw={"autocomplete": "tel", "inputmode": "tel"})
    password, confirm = new_password_fields()
    consent = BooleanField(_l("Ho letto l'informativa privacy (link qui sopra) e accetto che i miei "
                              "dati siano usati per organizzare i ritiri"),
                           validators=[DataRequired(_l("Per iscriverti serve il consenso."))])

    def validate_hygiene_training_on(self, field):
        if field.data and field.data > date.today():
            raise ValidationError(_l("La data del corso non può essere nel futuro."))


class InvitationAccountForm(FlaskForm):
    name = StringField(_l("Nome e cognome"), validators=[
        DataRequired(_l("Scrivi nome e cognome.")), Length(max=120)],
        render_kw={"autocomplete": "name"})
    email = email_field()
    phone = StringField(_l("Telefono (facoltativo)"), validators=[phone_validator],
                        render_kw={"autocomplete": "tel", "inputmode": "tel"})
    password, confirm = new_password_fields()


class AcceptInvitationForm(FlaskForm):
    """Just the CSRF token: a logged-in user confirms joining."""
