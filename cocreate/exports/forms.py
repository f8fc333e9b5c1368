"""The download form: a GET form whose fields are the download's query parameters.

The services check the values (``parse_options``, ``format_named``) and give the messages;
the form only carries them and offers the choices.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField
from wtforms.fields.choices import SelectChoice

from cocreate.consultations.models import Consultation
from cocreate.exports.formats import formats
from cocreate.exports.options import Mode
from cocreate.live.models import LiveEvent

# In the order the page offers them; a format registered without a label shows its name.
FORMAT_LABELS = {
    "xlsx": _l("Spreadsheet (XLSX): a sheet per table"),
    "csv": _l("CSV: a zip with one file per table"),
    "json": _l("JSON: the whole consultation, for archives and other servers"),
    "pdf": _l("Report (PDF): the final version with the feedback annex"),
}
MODE_LABELS = {
    Mode.SHARED: _l(
        "Shared, to hand on: no names, hidden comments left out, groups of fewer than 5 "
        "voters not shown"
    ),
    Mode.FULL: _l(
        "Full, for your archives: names, hidden comments, moderation data and timestamps"
    ),
}


class ExportForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    format = RadioField(_l("Format"), default="xlsx")
    mode = RadioField(
        _l("Mode"),
        choices=[SelectChoice(mode.value, label) for mode, label in MODE_LABELS.items()],
        default=Mode.SHARED.value,
    )
    event = SelectField(_l("Live event"))
    group = SelectField(_l("Stakeholder group"))
    region = SelectField(_l("Region"))


def export_form(consultation: Consultation, events: list[LiveEvent], formdata=None) -> ExportForm:
    """The form with this consultation's formats, events, groups and regions to choose."""
    form = ExportForm(formdata=formdata)
    known = formats()
    in_order = [name for name in dict.fromkeys([*FORMAT_LABELS, *sorted(known)]) if name in known]
    form.format.choices = [
        SelectChoice(name, FORMAT_LABELS.get(name, name.upper())) for name in in_order
    ]
    form.event.choices = [
        SelectChoice("", _l("All events (rehearsals left out)")),
        *(
            SelectChoice(
                str(event.id),
                _l("%(title)s (rehearsal)", title=event.title)
                if event.is_rehearsal
                else event.title,
            )
            for event in events
        ),
    ]
    form.group.choices = [
        SelectChoice("", _l("All stakeholder groups")),
        *(SelectChoice(str(group.id), group.name) for group in consultation.stakeholder_groups),
    ]
    form.region.choices = [
        SelectChoice("", _l("All regions")),
        *(SelectChoice(str(region.id), region.name) for region in consultation.regions),
    ]
    return form
