"""Forms of the notification settings."""
from flask_wtf import FlaskForm
from wtforms import BooleanField


def preferences_form(topics, current, formdata=None):
    """A form with one checkbox per topic, filled from `current` ({topic: enabled})."""

    class PreferencesForm(FlaskForm):
        pass

    for topic in topics:
        setattr(PreferencesForm, topic.key, BooleanField(topic.label, description=topic.hint))
    if formdata is not None:
        return PreferencesForm(formdata=formdata)
    return PreferencesForm(formdata=None, data=current)


class ButtonForm(FlaskForm):
    """A button that only needs the CSRF token (mark all read, remove a device, send a test)."""
