"""Moderators write and rearrange the draft documents here.

Every action answers an htmx request with the fragment that changed, and a plain form post
with a redirect back to the editor page, or with the page itself when the input was
refused. The page includes the very fragments the actions return, so both show the same.
A refusal that no form can fix (not a moderator, published, gone) is an error page, or
for htmx a message in the page's alert region.
"""

from __future__ import annotations

from collections import defaultdict

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice

from cocreate.consultations.models import Status
from cocreate.consultations.views import load_managed
from cocreate.drafts import services
from cocreate.drafts.forms import (
    DocumentForm,
    NewDocumentForm,
    PracticeForm,
    SectionForm,
    TargetForm,
)
from cocreate.drafts.models import Document, Item, Section
from cocreate.errorpages import handle_domain_error
from cocreate.errors import DomainError, EditConflict, InvalidInput
from cocreate.forms import attach_error
from cocreate.logins import send_guests_to_login
from cocreate.templating import is_htmx

bp = Blueprint("drafts", __name__, url_prefix="/manage")

ItemForm = TargetForm | PracticeForm


# Only moderators write drafts; guests are sent to the login page.
bp.before_request(send_guests_to_login)


@bp.errorhandler(DomainError)
def refuse(error: DomainError):
    """A refusal no form can fix; for htmx, said in the editor's alert region."""
    if is_htmx():
        headers = {"HX-Retarget": "#editor-alerts", "HX-Reswap": "innerHTML"}
        return render_template("drafts/_alert.html", message=error.message), error.status, headers
    return handle_domain_error(error)


# --- loading, forms and the page's context ------------------------------------------------


def load_document(document_id: int) -> Document:
    return services.get_document(document_id, current_user)


def load_section(section_id: int) -> Section:
    return services.get_section(section_id, current_user)


def load_item(item_id: int) -> Item:
    return services.get_item_to_edit(item_id, current_user)


def list_id(section_id: int | None) -> str:
    """The id of the element listing a section's targets, or a guideline's practices."""
    return f"items-{section_id}" if section_id else "items-practices"


def document_form(document: Document, *, submitted: bool = False) -> DocumentForm:
    if submitted:
        return DocumentForm(prefix="document")
    return DocumentForm(formdata=None, obj=document, prefix="document")


def section_form(section: Section | None, *, submitted: bool = False) -> SectionForm:
    """The form to edit ``section``, or to add a section when it is None."""
    prefix = f"section-{section.id}" if section else "new-section"
    if submitted:
        return SectionForm(prefix=prefix)
    return SectionForm(formdata=None, obj=section, prefix=prefix)


def item_form(
    document: Document,
    *,
    item: Item | None = None,
    section: Section | None = None,
    submitted: bool = False,
) -> ItemForm:
    """The form to edit ``item``, or to add one (to ``section``, in a roadmap).

    Each form on the page has a prefix of its own, so ids stay unique. A submitted form
    reads the request only: values missing from it must not fall back to the stored ones,
    least of all the version.
    """
    prefix = f"item-{item.id}" if item else f"new-{list_id(section.id if section else None)}"
    form_class = TargetForm if document.is_roadmap else PracticeForm
    if submitted:
        form = form_class(prefix=prefix)
    else:
        text_field = "statement" if document.is_roadmap else "description"
        form = form_class(
            formdata=None,
            obj=item,
            prefix=prefix,
            section_id=section.id if section else None,
            **{text_field: item.text if item else ""},
        )
    if document.is_roadmap:
        groups = document.consultation.stakeholder_groups
        form.responsible_actors.choices = [SelectChoice(g.name, g.name) for g in groups]
        form.section_id.choices = [SelectChoice(s.id, s.title) for s in document.sections]
    if item is None:
        del form.version
    return form


def item_fields(form: ItemForm) -> dict:
    """The form's input in the shape the services take."""
    fields = {"ref": form.ref.data, "title": form.title.data}
    if isinstance(form, TargetForm):
        return fields | {
            "text": form.statement.data,
            "milestone_year": form.milestone_year.data,
            "indicators": form.indicators.data,
            "responsible_actors": form.responsible_actors.data,
        }
    return fields | {
        "text": form.description.data,
        "criteria": form.criteria.data,
        "applies_to": form.applies_to.data,
    }


def chosen_section(document: Document, form: ItemForm) -> Section | None:
    if not isinstance(form, TargetForm):
        return None
    return next((s for s in document.sections if s.id == form.section_id.data), None)


def editor_context(document: Document, **extra) -> dict:
    """What the editor page and its fragments show: fresh forms unless ``extra`` has others.

    ``item_forms``, ``section_forms`` and ``new_item_forms`` map an item id, a section id,
    or a section id (None in a guideline) to a form that is open there.
    """
    items_by_section: dict[int | None, list[Item]] = defaultdict(list)
    for item in document.items:
        items_by_section[item.section_id].append(item)
    sections = document.sections if document.is_roadmap else [None]
    context = {
        "document": document,
        "consultation": document.consultation,
        "editable": document.consultation.status is not Status.PUBLISHED,
        "items_by_section": items_by_section,
        "list_id": list_id,
        "document_form": document_form(document),
        "new_section_form": section_form(None),
        "new_item_forms": {(s.id if s else None): item_form(document, section=s) for s in sections},
        "item_forms": {},
        "section_forms": {},
    }
    for key in ("new_item_forms", "item_forms", "section_forms"):
        context[key].update(extra.pop(key, {}))
    return context | extra


def focus_first_error(form: FlaskForm) -> None:
    """Put the cursor where the input was refused; htmx also focuses `autofocus` on swap."""
    field = next((f for f in form if f.errors), None)
    if field is not None:
        field.render_kw = {**(field.render_kw or {}), "autofocus": True}


def respond(template: str, document: Document, status: int = 200, **extra):
    """The fragment for htmx, else the whole editor page around it."""
    context = editor_context(document, **extra)
    if is_htmx():
        return render_template(template, **context), status
    return render_template("drafts/document.html", **context), status


def back_to_page(document: Document, anchor: str, message: str):
    """After a plain form post: back to the editor, where the change happened."""
    flash(message, "success")
    return redirect(url_for(".edit_document", document_id=document.id, _anchor=anchor))


def changed(document: Document, template: str, anchor: str, message: str, **extra):
    """The changed fragment for htmx, else back to the page."""
    if is_htmx():
        status = extra.pop("status", 200)
        return render_template(template, **editor_context(document, **extra)), status
    return back_to_page(document, anchor, message)


def moved_elsewhere(document: Document, anchor: str, message: str, status: int = 200):
    """An item changed section: redraw all sections, not only the one asked from."""
    response = changed(document, "drafts/_sections.html", anchor, message, status=status)
    if is_htmx():
        response = (*response, {"HX-Retarget": "#sections", "HX-Reswap": "outerHTML"})
    return response


def leave_page(url: str):
    """Go elsewhere: htmx follows HX-Redirect, a plain post a redirect."""
    if is_htmx():
        return "", 204, {"HX-Redirect": url}
    return redirect(url)


def requested_offset() -> int:
    """-1 to move up, +1 to move down."""
    offsets = {"up": -1, "down": 1}
    direction = request.form.get("direction")
    if direction not in offsets:
        abort(400)
    return offsets[direction]


# --- documents ----------------------------------------------------------------------------


@bp.route("/<int:consultation_id>/documents/new", methods=["GET", "POST"])
def new_document(consultation_id: int):
    consultation = load_managed(consultation_id)
    services.ensure_editable(consultation)
    form = NewDocumentForm()
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            document = services.create_document(
                consultation,
                current_user,
                kind=form.kind.data,
                title=form.title.data,
                introduction=form.introduction.data,
            )
        except InvalidInput as error:
            attach_error(form, error)
            status = error.status
        else:
            flash(_("Document created. Add its contents below."), "success")
            return leave_page(url_for(".edit_document", document_id=document.id))
    focus_first_error(form)
    return render_template("drafts/new_document.html", consultation=consultation, form=form), status


def run_form(form, action):
    """Validate ``form`` and run the service call ``action``.

    :return: ``(what action returned, None)``, or ``(None, status)`` with the refusal
        attached to the form for the page to show.
    """
    if not form.validate():
        return None, 422
    try:
        return action(), None
    except InvalidInput as error:
        attach_error(form, error)
        return None, error.status


@bp.get("/documents/<int:document_id>")
def edit_document(document_id: int):
    document = load_document(document_id)
    return render_template("drafts/document.html", **editor_context(document))


@bp.post("/documents/<int:document_id>")
def update_document(document_id: int):
    document = load_document(document_id)
    form = document_form(document, submitted=True)
    _result, status = run_form(
        form,
        lambda: services.update_document(
            document, current_user, title=form.title.data, introduction=form.introduction.data
        ),
    )
    if status is None:
        return changed(
            document, "drafts/_document_form.html", "document", _("Document saved."), saved=True
        )
    focus_first_error(form)
    return respond("drafts/_document_form.html", document, status, document_form=form)


@bp.post("/documents/<int:document_id>/delete")
def delete_document(document_id: int):
    document = load_document(document_id)
    consultation, title = document.consultation, document.title
    services.delete_document(document, current_user)
    flash(_("“%(title)s” was deleted.", title=title), "success")
    return leave_page(url_for("consultations.overview", consultation_id=consultation.id))


# --- sections -----------------------------------------------------------------------------


@bp.post("/documents/<int:document_id>/sections")
def add_section(document_id: int):
    document = load_document(document_id)
    form = section_form(None, submitted=True)
    section, status = run_form(
        form,
        lambda: services.create_section(
            document, current_user, title=form.title.data, description=form.description.data
        ),
    )
    if status is None:
        return changed(
            document,
            "drafts/_sections.html",
            f"section-{section.id}",
            _("Section added."),
            status=201,
        )
    focus_first_error(form)
    return respond("drafts/_sections.html", document, status, new_section_form=form)


@bp.get("/sections/<int:section_id>")
def show_section(section_id: int):
    section = load_section(section_id)
    if not is_htmx():
        anchor = f"section-{section.id}"
        return redirect(url_for(".edit_document", document_id=section.document_id, _anchor=anchor))
    return render_template(
        "drafts/_section_head.html", section=section, **editor_context(section.document)
    )


@bp.route("/sections/<int:section_id>/edit", methods=["GET", "POST"])
def edit_section(section_id: int):
    section = load_section(section_id)
    document = section.document
    if request.method == "GET":
        forms = {section.id: section_form(section)}
        return respond("drafts/_section_head.html", document, section=section, section_forms=forms)
    form = section_form(section, submitted=True)
    _result, status = run_form(
        form,
        lambda: services.update_section(
            section, current_user, title=form.title.data, description=form.description.data
        ),
    )
    if status is None:
        return changed(
            document,
            "drafts/_section_head.html",
            f"section-{section.id}",
            _("Section saved."),
            section=section,
        )
    focus_first_error(form)
    return respond(
        "drafts/_section_head.html",
        document,
        status,
        section=section,
        section_forms={section.id: form},
    )


@bp.post("/sections/<int:section_id>/move")
def move_section(section_id: int):
    section = load_section(section_id)
    document = section.document
    services.move_section(section, current_user, requested_offset())
    return changed(document, "drafts/_sections.html", f"section-{section.id}", _("Section moved."))


@bp.post("/sections/<int:section_id>/delete")
def delete_section(section_id: int):
    section = load_section(section_id)
    document, title = section.document, section.title
    services.delete_section(section, current_user)
    return changed(
        document, "drafts/_sections.html", "sections", _("“%(title)s” was deleted.", title=title)
    )


# --- items --------------------------------------------------------------------------------


@bp.post("/documents/<int:document_id>/items", defaults={"section_id": None})
@bp.post("/sections/<int:section_id>/items", defaults={"document_id": None})
def add_item(document_id: int | None, section_id: int | None):
    """Add a practice to a guideline, or a target from the form in one of the sections."""
    if section_id is None:
        origin = None
        document = load_document(document_id)
    else:
        origin = load_section(section_id)
        document = origin.document
    form = item_form(document, section=origin, submitted=True)
    block = "drafts/_section.html" if origin else "drafts/_practices.html"
    status = 422
    if form.validate():
        section = chosen_section(document, form)
        try:
            item = services.create_item(
                document, current_user, fields=item_fields(form), section=section
            )
        except InvalidInput as error:
            attach_error(form, error)
            status = error.status
        else:
            message = _("%(ref)s added.", ref=item.ref)
            if section is not origin:
                # Added to another section than the form's: both sections change.
                return moved_elsewhere(document, f"item-{item.id}", message, status=201)
            return changed(document, block, f"item-{item.id}", message, section=origin, status=201)
    focus_first_error(form)
    return respond(block, document, status, section=origin, new_item_forms={section_id: form})


@bp.get("/items/<int:item_id>")
def show_item(item_id: int):
    item = load_item(item_id)
    if not is_htmx():
        anchor = f"item-{item.id}"
        return redirect(url_for(".edit_document", document_id=item.document_id, _anchor=anchor))
    return render_template("drafts/_item.html", item=item, **editor_context(item.document))


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
def edit_item(item_id: int):
    item = load_item(item_id)
    document = item.document
    if request.method == "GET":
        form = item_form(document, item=item, section=item.section)
        form.ref.render_kw = {**form.ref.render_kw, "autofocus": True}
        return respond("drafts/_item_form.html", document, item=item, item_forms={item.id: form})
    form = item_form(document, item=item, submitted=True)
    status, conflict = 422, False
    if form.validate():
        section = chosen_section(document, form)
        old_section_id = item.section_id
        try:
            services.save_item(
                item,
                current_user,
                fields=item_fields(form),
                expected_version=form.version.data,
                section=section,
            )
        except EditConflict as error:
            # Nothing was saved: show the stored version beside the input, and let the next
            # save build on it.
            form.form_errors.append(error.message)
            form.version.data, form.version.raw_data = item.version, [str(item.version)]
            status, conflict = error.status, True
        except InvalidInput as error:
            attach_error(form, error)
            status = error.status
        else:
            message = _("%(ref)s saved.", ref=item.ref)
            if item.section_id != old_section_id:
                return moved_elsewhere(document, f"item-{item.id}", message)
            return changed(document, "drafts/_item.html", f"item-{item.id}", message, item=item)
    focus_first_error(form)
    return respond(
        "drafts/_item_form.html",
        document,
        status,
        item=item,
        item_forms={item.id: form},
        conflict=conflict,
    )


@bp.post("/items/<int:item_id>/move")
def move_item(item_id: int):
    item = load_item(item_id)
    document, section = item.document, item.section
    services.move_item(item, current_user, requested_offset())
    return changed(
        document,
        "drafts/_items.html",
        f"item-{item.id}",
        _("%(ref)s moved.", ref=item.ref),
        section=section,
    )


@bp.post("/items/<int:item_id>/delete")
def delete_item(item_id: int):
    item = load_item(item_id)
    document, section, ref = item.document, item.section, item.ref
    anchor = list_id(item.section_id)
    services.delete_item(item, current_user)
    return changed(
        document,
        "drafts/_items.html",
        anchor,
        _("%(ref)s was deleted.", ref=ref),
        section=section,
    )
