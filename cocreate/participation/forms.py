"""Forms guests fill in: the join code, joining, votes and comments."""

from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from cocreate.participation.models import VoteValue
from cocreate.participation.services import MAX_COMMENT_LENGTH, MAX_DISPLAY_NAME_LENGTH

VOTE_LABELS = {
    VoteValue.STRONGLY_AGREE: _l("Strongly agree"),
    VoteValue.AGREE: _l("Agree"),
    VoteValue.NEUTRAL: _l("Neutral"),
    VoteValue.DISAGREE: _l("Disagree"),
    VoteValue.STRONGLY_DISAGREE: _l("Strongly disagree"),
    VoteValue.NO_OPINION: _l("No opinion"),
}


class JoinCodeForm(FlaskForm):
    code = StringField(
        _l("Join code"),
        validators=[DataRequired(), Length(max=12)],
        render_kw={
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "inputmode": "text",
        },
    )


class ReturnCodeForm(FlaskForm):
    code = StringField(
        _l("Return code"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )


class JoinForm(FlaskForm):
    display_name = StringField(
        _l("Display name (optional)"), validators=[Optional(), Length(max=MAX_DISPLAY_NAME_LENGTH)]
    )
    stakeholder_group = SelectField(
        _l("Stakeholder group"), validators=[DataRequired()], validate_choice=False
    )
    region = SelectField(_l("Region (optional)"), validators=[Optional()], validate_choice=False)
    accept_privacy = BooleanField(
        _l("I have read and accept the privacy notice"),
        validators=[DataRequired(_l("Please accept the privacy notice to take part."))],
    )


class VoteForm(FlaskForm):
    value = RadioField(
        _l("Your vote"),
        choices=[SelectChoice(v.value, label) for v, label in VOTE_LABELS.items()],
        validators=[DataRequired(_l("Choose one of the answers."))],
        validate_choice=False,
    )


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Your comment"),
        validators=[
            DataRequired(_l("Write something before posting.")),
            Length(max=MAX_COMMENT_LENGTH),
        ],
        render_kw={"rows": 4, "maxlength": MAX_COMMENT_LENGTH},
    )
    parent_id = HiddenField()
    # A fresh key with every rendered form: a resubmitted or retried post is stored once.
    idempotency_key = HiddenField(default=lambda: secrets.token_urlsafe(16))
