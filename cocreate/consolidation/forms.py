"""Forms of the consolidation workspace: the consolidated text, and dispositions.

Lengths and outcomes are checked by the services, which give the messages; the forms
only carry the input (and its CSRF token) there.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import HiddenInput

from cocreate.consolidation.models import Outcome
from cocreate.drafts.forms import clean_text

OUTCOME_LABELS = {
    Outcome.TAKEN_UP: _l("Taken up"),
    Outcome.PARTLY_TAKEN_UP: _l("Partly taken up"),
    Outcome.NOT_TAKEN_UP: _l("Not taken up"),
    Outcome.OUT_OF_SCOPE: _l("Out of scope"),
}


class ConsolidateForm(FlaskForm):
    text = TextAreaField(
        _l("Consolidated text"), filters=[clean_text], render_kw={"rows": 12, "spellcheck": "true"}
    )
    # The version the moderator started from: a save on an older one is refused.
    expected_version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    note = StringField(
        _l("What changed, in a few words (optional)"),
        filters=[clean_text],
        render_kw={"autocomplete": "off"},
    )


def outcome_choices() -> list[SelectChoice]:
    return [
        SelectChoice("", _l("Choose an outcome…")),
        *(SelectChoice(outcome.value, label) for outcome, label in OUTCOME_LABELS.items()),
    ]


class DispositionForm(FlaskForm):
    """One disposition for the comments and amendments ticked (``comment_ids``,
    ``amendment_ids``, read by the view), or for a single comment."""

    # The service names the allowed outcomes when one is missing or unknown.
    outcome = SelectField(_l("Outcome"), choices=outcome_choices, validate_choice=False)
    rationale = TextAreaField(
        _l("Rationale, shown to participants"), filters=[clean_text], render_kw={"rows": 3}
    )
    passage = TextAreaField(
        _l("Passage of the consolidated text it led to (optional)"),
        filters=[clean_text],
        render_kw={"rows": 3},
    )
    # Where to come back to: the workspace of this item, in this grouping.
    item_id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    by = HiddenField()
