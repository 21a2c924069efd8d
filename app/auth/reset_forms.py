"""Forms of the password reset."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Email, Length

from app.forms import new_password_fields


def _strip(value):
    """Spaces pasted around an address are not part of it."""
    return value.strip() if isinstance(value, str) else value


class ResetRequestForm(FlaskForm):
    """The address to send the reset link to."""

    email = StringField(_l("Email"), filters=[_strip], validators=[
        DataRequired(_l("Scrivi la tua email.")),
        Length(max=254, message=_l("Questa email non sembra valida: controlla che ci sia la @ e il dominio.")),
        Email(_l("Questa email non sembra valida: controlla che ci sia la @ e il dominio."),
              check_deliverability=False)], render_kw={"autocomplete": "email", "inputmode": "email"})


class NewPasswordForm(FlaskForm):
    """The new password, with the same rules as at signup."""

    password, confirm = new_password_fields()
