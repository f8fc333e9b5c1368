from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from cocreate.live.models import EventFormat

FORMAT_LABELS = {
    EventFormat.WORKSHOP: _l("Workshop"),
    EventFormat.WEBINAR: _l("Webinar"),
    EventFormat.FORUM: _l("Forum"),
}


class EventForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    format = SelectField(
        _l("Format"),
        choices=[SelectChoice(f.value, label) for f, label in FORMAT_LABELS.items()],
    )
    held_on = DateField(_l("Date (optional)"), validators=[Optional()])
    place = StringField(_l("Place, or “online”"), validators=[Optional(), Length(max=200)])
    region = SelectField(_l("Region (optional)"), validators=[Optional()], validate_choice=False)
    is_rehearsal = BooleanField(_l("Rehearsal: keep what happens out of every result"))
