"""Forms of the email settings."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import InputRequired

from app.forms import options

CHANNEL_LABELS = (("push", _l("Notifica push")), ("email", _l("Email")), ("both", _l("Push ed email")),
                  ("app", _l("Solo nell'app")))


def hour_choices():
    return options([("", _l("Nessun riepilogo"))] + [(str(h), f"{h:02d}:00") for h in range(24)])


def settings_form(topics, with_digest, formdata=None, data=None):
    """One channel select per topic, plus the digest hour for coordinators."""

    class MailSettingsForm(FlaskForm):
        pass

    for topic in topics:
        setattr(MailSettingsForm, "channel_" + topic.key, SelectField(
            topic.label, choices=options(CHANNEL_LABELS), description=topic.hint,
            validators=[InputRequired(_l("Scegli come ricevere questa notifica."))]))
    if with_digest:
        setattr(MailSettingsForm, "digest_hour", SelectField(
            _l("Riepilogo giornaliero per email"), choices=hour_choices,
            description=_l("I numeri di ieri, le segnalazioni aperte e i turni di domani ancora scoperti.")))
    if formdata is not None:
        return MailSettingsForm(formdata=formdata)
    return MailSettingsForm(formdata=None, data=data)
