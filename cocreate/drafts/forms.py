"""Forms moderators fill in to write a draft: documents, sections, targets and practices.

The limits are the import format's, so a draft written here can be exported and imported
again. The services check the same rules once more for callers without a form.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, Regexp, ValidationError

from cocreate.drafts.importing import (
    INTRODUCTION_MAX,
    LIST_ENTRY_MAX,
    LIST_MAX,
    PRACTICE_DESCRIPTION_MAX,
    SECTION_DESCRIPTION_MAX,
    STAGE_MAX,
    STATEMENT_MAX,
    TITLE_MAX,
    YEAR_MAX,
    YEAR_MIN,
)
from cocreate.drafts.services import REF_PATTERN

_FOUR_DIGITS = re.compile(r"[0-9]{4}")


def clean_text(value: object) -> object:
    """Strip, and count a line break as one character whatever the browser sent."""
    if not isinstance(value, str):
        return value
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def single_line(form: FlaskForm, field: StringField) -> None:
    if field.data and len(field.data.splitlines()) > 1:
        raise ValidationError(_("Write this on a single line."))


class Lines:
    """Checks a `LinesField`: how many lines, how long each, and optionally no repeats."""

    def __init__(self, *, max_items: int, max_length: int, distinct: bool = False) -> None:
        self.max_items, self.max_length, self.distinct = max_items, max_length, distinct

    def __call__(self, form: FlaskForm, field: LinesField) -> None:
        lines = field.data or []
        if len(lines) > self.max_items:
            raise ValidationError(
                _(
                    "At most %(max)d lines; this has %(count)d.",
                    max=self.max_items,
                    count=len(lines),
                )
            )
        for number, line in enumerate(lines, start=1):
            if len(line) > self.max_length:
                raise ValidationError(
                    _(
                        "Line %(number)d is too long: %(count)d characters, at most %(max)d.",
                        number=number,
                        count=len(line),
                        max=self.max_length,
                    )
                )
        if self.distinct:
            repeated = next((line for line in lines if lines.count(line) > 1), None)
            if repeated is not None:
                raise ValidationError(_("“%(line)s” is listed twice.", line=repeated))


class LinesField(TextAreaField):
    """A list of short texts, written one per line; blank lines are left out."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist:
            text = clean_text(valuelist[0])
            self.data = [line.strip() for line in text.splitlines() if line.strip()]

    def process_data(self, value: list[str] | None) -> None:
        self.data = list(value or [])

    def _value(self) -> str:
        return "\n".join(self.data or [])


class YearField(IntegerField):
    """A four-digit year; Python's int() would also take " 2_030" or other scripts' digits."""

    widget = widgets.NumberInput(min=YEAR_MIN, max=YEAR_MAX)

    def process_formdata(self, valuelist: list[str]) -> None:
        text = valuelist[0].strip() if valuelist else ""
        self.data = int(text) if _FOUR_DIGITS.fullmatch(text) else None
        if text and self.data is None:
            raise ValueError(_("Write the year as four digits, such as 2030."))


def year_in_range(form: FlaskForm, field: YearField) -> None:
    if field.process_errors:
        return  # already explained by YearField
    if field.data is None:
        raise ValidationError(_("Give the milestone year."))
    if not YEAR_MIN <= field.data <= YEAR_MAX:
        raise ValidationError(_("Give a year from %(min)d to %(max)d.", min=YEAR_MIN, max=YEAR_MAX))


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def known_groups(form: FlaskForm, field: MultiCheckboxField) -> None:
    groups = {choice.value for choice in field.choices}
    unknown = next((name for name in field.data or [] if name not in groups), None)
    if unknown is not None:
        raise ValidationError(
            _("“%(name)s” is not a stakeholder group of this consultation.", name=unknown)
        )


def title_field() -> StringField:
    return StringField(
        _l("Title"),
        filters=[clean_text],
        validators=[
            DataRequired(_l("Give a title.")),
            Length(max=TITLE_MAX),
            single_line,
        ],
    )


def version_field() -> IntegerField:
    return IntegerField(
        widget=widgets.HiddenInput(),
        validators=[InputRequired(_l("This form is out of date; reload the page."))],
    )


def ref_field() -> StringField:
    return StringField(
        _l("Reference"),
        filters=[clean_text],
        validators=[
            DataRequired(_l("Give a reference such as RES-1.2.")),
            Regexp(
                REF_PATTERN.pattern + r"\Z",
                message=_l(
                    'Use 1 to 20 letters, digits, ".", "_" or "-", starting with a letter or digit.'
                ),
            ),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": 20},
    )


class DocumentForm(FlaskForm):
    title = title_field()
    introduction = TextAreaField(
        _l("Introduction (optional)"),
        filters=[clean_text],
        validators=[Length(max=INTRODUCTION_MAX)],
        render_kw={"rows": 5},
    )


class NewDocumentForm(DocumentForm):
    """A document's kind is chosen once, when it is created."""

    kind = SelectField(
        _l("Kind of document"),
        choices=[
            SelectChoice("roadmap", _l("Roadmap: sections of targets with milestone years")),
            SelectChoice("guideline", _l("Good-practice guideline: a list of practices")),
        ],
        invalid_choice_message=_l("Choose a roadmap or a guideline."),
    )


class SectionForm(FlaskForm):
    title = title_field()
    description = TextAreaField(
        _l("Description (optional)"),
        filters=[clean_text],
        validators=[Length(max=SECTION_DESCRIPTION_MAX)],
        render_kw={"rows": 3},
    )


class TargetForm(FlaskForm):
    """A roadmap target; the view fills in the section and stakeholder group choices."""

    ref = ref_field()
    title = title_field()
    statement = TextAreaField(
        _l("Statement"),
        filters=[clean_text],
        validators=[DataRequired(_l("Write the target's statement.")), Length(max=STATEMENT_MAX)],
        render_kw={"rows": 4},
    )
    milestone_year = YearField(_l("Milestone year"), validators=[year_in_range])
    indicators = LinesField(
        _l("Indicators (optional)"),
        validators=[Lines(max_items=LIST_MAX, max_length=LIST_ENTRY_MAX)],
        render_kw={"rows": 3},
    )
    responsible_actors = MultiCheckboxField(
        _l("Responsible actors (optional)"), validate_choice=False, validators=[known_groups]
    )
    section_id = SelectField(
        _l("Section"),
        coerce=int,
        invalid_choice_message=_l("Choose one of this roadmap's sections."),
    )
    version = version_field()


class PracticeForm(FlaskForm):
    ref = ref_field()
    title = title_field()
    description = TextAreaField(
        _l("Description"),
        filters=[clean_text],
        validators=[
            DataRequired(_l("Describe the practice.")),
            Length(max=PRACTICE_DESCRIPTION_MAX),
        ],
        render_kw={"rows": 5},
    )
    criteria = LinesField(
        _l("Criteria (optional)"),
        validators=[Lines(max_items=LIST_MAX, max_length=LIST_ENTRY_MAX)],
        render_kw={"rows": 3},
    )
    applies_to = LinesField(
        _l("Applies to (optional)"),
        validators=[Lines(max_items=LIST_MAX, max_length=STAGE_MAX, distinct=True)],
        render_kw={"rows": 3},
    )
    version = version_field()
