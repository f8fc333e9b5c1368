"""Publishing the final version and correcting it. The services check every value."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField

from cocreate.drafts.forms import clean_text


class PublishForm(FlaskForm):
    note = TextAreaField(
        _l("A note for readers (optional)"), filters=[clean_text], render_kw={"rows": 3}
    )
    confirm_unconsolidated = BooleanField(
        _l("Publish the items listed above with their draft text, marked “not revised”")
    )


class CorrectionForm(FlaskForm):
    note = TextAreaField(
        _l("What was corrected (shown on the public page)"),
        filters=[clean_text],
        render_kw={"rows": 3},
    )
