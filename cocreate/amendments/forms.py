"""Forms for proposing wording, voting on it, and deciding on it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from cocreate.amendments.services import REASON_MAX, TEXT_MAX
from cocreate.consolidation.services import FINAL_TEXT_MAX, RATIONALE_MAX
from cocreate.participation.forms import VOTE_LABELS


class ProposeForm(FlaskForm):
    text = TextAreaField(
        _l("Your wording"),
        validators=[DataRequired(_l("Write your wording before proposing.")), Length(max=TEXT_MAX)],
        render_kw={"rows": 6, "maxlength": TEXT_MAX},
    )
    reason = TextAreaField(
        _l("Why this change? (optional)"),
        validators=[Optional(), Length(max=REASON_MAX)],
        render_kw={"rows": 3, "maxlength": REASON_MAX},
    )


class AmendmentVoteForm(FlaskForm):
    value = RadioField(
        _l("Your vote on this wording"),
        choices=[SelectChoice(v.value, label) for v, label in VOTE_LABELS.items()],
        validators=[DataRequired(_l("Choose one of the answers."))],
        validate_choice=False,
    )


class DecisionForm(FlaskForm):
    """Accept (and the base of merge): the version the moderator saw, and why."""

    expected_version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    rationale = TextAreaField(
        _l("Rationale (shown to participants)"),
        validators=[Optional(), Length(max=RATIONALE_MAX)],
        render_kw={"rows": 2, "maxlength": RATIONALE_MAX},
    )


class MergeForm(DecisionForm):
    text = TextAreaField(
        _l("Combined consolidated text"),
        validators=[DataRequired(), Length(max=FINAL_TEXT_MAX)],
        render_kw={"rows": 6, "maxlength": FINAL_TEXT_MAX},
    )


class RejectForm(FlaskForm):
    rationale = TextAreaField(
        _l("Why not (shown to participants)"),
        validators=[
            DataRequired(_l("Say why the proposal is not taken up.")),
            Length(max=RATIONALE_MAX),
        ],
        render_kw={"rows": 2, "maxlength": RATIONALE_MAX},
    )
