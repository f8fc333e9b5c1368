"""What moderators send from the queue. The services check every value; these forms parse
the request and carry the labels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from cocreate.moderation.models import HideReason

HIDE_REASON_LABELS = {
    HideReason.OFF_TOPIC: _l("Off-topic"),
    HideReason.DUPLICATE: _l("Duplicate"),
    HideReason.PERSONAL_DATA: _l("Personal data"),
    HideReason.ABUSIVE: _l("Abusive"),
    HideReason.SPAM: _l("Spam"),
    HideReason.OTHER: _l("Other"),
}

QUEUE_FILTER_LABELS = {
    "all": _l("All"),
    "flagged": _l("Flagged"),
    "awaiting": _l("Awaiting approval"),
    "review": _l("Needs review"),
    "hidden": _l("Hidden"),
}


class HideForm(FlaskForm):
    reason = SelectField(
        _l("Reason"),
        choices=[SelectChoice(reason.value, label) for reason, label in HIDE_REASON_LABELS.items()],
        validate_choice=False,  # the service names the allowed reasons
    )
    note = StringField(_l("Note (needed for “other”)"), validators=[Optional()])


class TagsForm(FlaskForm):
    tags = StringField(_l("Tags, separated by commas"), validators=[Optional()])


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Answer as the moderators"), validators=[Optional()])


class TagNameForm(FlaskForm):
    name = StringField(_l("New name"), validators=[Optional()])
