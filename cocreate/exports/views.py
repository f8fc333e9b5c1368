"""Downloading a consultation's results: spreadsheets, CSV, JSON and the report."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    make_response,
    render_template,
    request,
    stream_with_context,
)
from flask_login import current_user, login_required

from cocreate.consultations.models import Consultation
from cocreate.consultations.views import load_managed
from cocreate.errors import InvalidInput
from cocreate.exports import services
from cocreate.exports.forms import ExportForm, export_form
from cocreate.exports.options import parse_options
from cocreate.exports.report import render_report
from cocreate.forms import attach_error
from cocreate.live.services import events_of

bp = Blueprint("exports", __name__)


@bp.get("/manage/<int:consultation_id>/exports")
@login_required
def page(consultation_id: int):
    consultation = load_managed(consultation_id)
    return render_page(consultation, export_form(consultation, events_of(consultation)))


@bp.get("/manage/<int:consultation_id>/exports/download")
@login_required
def download(consultation_id: int):
    """Stream the file as it is written; a bad choice shows the page with the message."""
    consultation = load_managed(consultation_id)
    args = request.args
    try:
        options = parse_options(
            consultation,
            mode=args.get("mode"),
            event=args.get("event"),
            group=args.get("group"),
            region=args.get("region"),
        )
        chosen, stream = services.export(
            consultation, current_user, args.get("format"), options, channel=services.Channel.PAGE
        )
    except InvalidInput as error:
        form = export_form(consultation, events_of(consultation), formdata=args)
        attach_error(form, error)
        return render_page(consultation, form), error.status
    name = services.download_name(consultation, chosen, options)
    return Response(
        stream_with_context(stream),
        mimetype=chosen.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            # Results, and in full mode personal data: never kept by a shared cache.
            "Cache-Control": "no-store",
        },
    )


def render_page(consultation: Consultation, form: ExportForm) -> str:
    return render_template("exports/page.html", consultation=consultation, form=form)


@bp.get("/manage/<int:consultation_id>/report")
@login_required
def report(consultation_id: int):
    """The printable report as a page (its print preview), with the download's options.

    In full mode, showing it is recorded in the audit log once the page is rendered.
    """
    consultation = load_managed(consultation_id)
    args = request.args
    options = parse_options(
        consultation,
        mode=args.get("mode"),
        event=args.get("event"),
        group=args.get("group"),
        region=args.get("region"),
    )
    form = export_form(consultation, events_of(consultation), formdata=args)
    page = render_report(consultation, options, form=form)
    services.report_shown(consultation, current_user, options)
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"  # in full mode, personal data
    return response
