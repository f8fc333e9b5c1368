from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import TextInput

from cocreate.consultations.models import ResultsVisibility
from cocreate.moderation.wordlist import MAX_WORD_LENGTH, MAX_WORDS

LANGUAGE_TAG = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"


class NewConsultationForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=2000)])
    language = StringField(
        _l("Language"),
        default="en",
        validators=[
            DataRequired(),
            Length(max=35),
            Regexp(LANGUAGE_TAG, message=_l("Use a language tag such as en, fr or pt-BR.")),
        ],
    )


class SettingsForm(NewConsultationForm):
    closes_at = DateTimeLocalField(
        _l("Closes automatically at (UTC, optional)"),
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
    )
    privacy_notice = TextAreaField(
        _l("Privacy notice shown to participants"), validators=[Optional(), Length(max=10000)]
    )
    retention_days = IntegerField(
        _l("Days to keep personal data after closing (optional)"),
        validators=[
            Optional(),
            NumberRange(1, 3650, message=_l("Give a number of days from 1 to 3650.")),
        ],
        widget=TextInput(),
        render_kw={"inputmode": "numeric", "maxlength": 4},
    )
    stakeholder_groups = TextAreaField(
        _l("Stakeholder groups, one per line"), validators=[DataRequired(), Length(max=2000)]
    )
    regions = TextAreaField(
        _l("Regions, one per line (optional)"), validators=[Optional(), Length(max=5000)]
    )
    results_visibility = RadioField(
        _l("When participants see an item's results"),
        choices=[
            SelectChoice(ResultsVisibility.IMMEDIATE.value, _l("At once")),
            SelectChoice(
                ResultsVisibility.AFTER_VOTE.value,
                _l("Once they voted on the item (or you reveal them)"),
            ),
            SelectChoice(ResultsVisibility.AFTER_REVEAL.value, _l("Only once you reveal them")),
        ],
    )
    premoderation = BooleanField(_l("Pre-moderation: comments appear only once approved"))
    review_words = TextAreaField(
        _l("Words that mark a comment for review"),
        validators=[Optional(), Length(max=MAX_WORDS * (MAX_WORD_LENGTH + 2))],
        render_kw={"rows": 5},
    )


class AddModeratorForm(FlaskForm):
    email = EmailField(_l("Moderator's email"), validators=[DataRequired(), Length(max=254)])


class ImportForm(FlaskForm):
    file = FileField(_l("Draft file (.json or .csv)"), validators=[FileRequired()])
