"""Consultations: creating them, their lifecycle, join codes and moderators."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from types import EllipsisType

import sqlalchemy as sa
from flask_babel import gettext as _

from cocreate.accounts.models import User
from cocreate.audit.services import record
from cocreate.authz import require_moderator
from cocreate.consultations.models import (
    TRANSITIONS,
    Consultation,
    Region,
    ResultsVisibility,
    StakeholderGroup,
    Status,
)
from cocreate.db import utcnow
from cocreate.drafts.importing import DEFAULT_STAKEHOLDER_GROUPS
from cocreate.errors import ConsultationClosed, InvalidInput, NotFound
from cocreate.extensions import db
from cocreate.moderation.wordlist import parse_review_words
from cocreate.participation.models import Participant
from cocreate.privacy.retention import check_retention_days

# No look-alikes: 0/O, 1/I/l never appear, so a code read off a projector is typed right.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6
MAX_GROUPS = 20
MAX_REGIONS = 50
MAX_NAME_LENGTH = 80


def normalise_code(code: str) -> str:
    """Codes are typed by hand: ignore case, spaces and dashes."""
    return "".join(ch for ch in code.upper() if ch not in " -\t")


def random_code(length: int) -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(length))


def unused_join_code() -> str:
    while True:
        code = random_code(JOIN_CODE_LENGTH)
        taken = db.session.scalar(sa.select(Consultation.id).where(Consultation.join_code == code))
        if taken is None:
            return code


def find_by_join_code(code: str) -> Consultation:
    """:raises NotFound: when no consultation has that code."""
    consultation = db.session.scalar(
        sa.select(Consultation).where(Consultation.join_code == normalise_code(code)[:12])
    )
    if consultation is None:
        raise NotFound(
            _(
                "No consultation has the code %(code)s. Check the code on the screen.",
                code=code.strip()[:12],
            )
        )
    return consultation


def get_consultation(consultation_id: int) -> Consultation:
    """:raises NotFound: for an unknown id."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFound(_("There is no such consultation."))
    return consultation


def moderated_by(user: User) -> Sequence[Consultation]:
    query = sa.select(Consultation).order_by(Consultation.created_at.desc())
    if not user.is_admin:
        query = query.where(Consultation.moderators.any(User.id == user.id))
    return db.session.scalars(query).all()


def check_names(names: Sequence[str], *, what: str, minimum: int, maximum: int) -> list[str]:
    """Strip, drop blanks, and refuse duplicates, overlong names and wrong counts."""
    cleaned = [name.strip() for name in names if name.strip()]
    if not minimum <= len(cleaned) <= maximum:
        raise InvalidInput(
            _("Give between %(low)d and %(high)d %(what)s.", low=minimum, high=maximum, what=what),
            field=what,
        )
    seen: set[str] = set()
    for name in cleaned:
        if len(name) > MAX_NAME_LENGTH:
            raise InvalidInput(
                _(
                    "“%(name)s” is longer than %(max)d characters.",
                    name=name[:40] + "…",
                    max=MAX_NAME_LENGTH,
                ),
                field=what,
            )
        if name.casefold() in seen:
            raise InvalidInput(_("“%(name)s” is listed twice.", name=name), field=what)
        seen.add(name.casefold())
    return cleaned


def new_consultation(
    *,
    title: str,
    summary: str = "",
    language: str = "en",
    stakeholder_groups: Sequence[str] = DEFAULT_STAKEHOLDER_GROUPS,
    regions: Sequence[str] = (),
    moderators: Sequence[User] = (),
    status: Status = Status.DRAFT,
) -> Consultation:
    """Add a consultation to the session without committing (imports build on it)."""
    consultation = Consultation(
        title=title,
        summary=summary,
        language=language,
        status=status,
        join_code=unused_join_code(),
        moderators=list(moderators),
    )
    replace_groups(consultation, stakeholder_groups)
    replace_regions(consultation, regions)
    db.session.add(consultation)
    return consultation


def create_consultation(
    actor: User, *, title: str, summary: str = "", language: str = "en"
) -> Consultation:
    """A new draft consultation moderated by ``actor``."""
    consultation = new_consultation(
        title=title, summary=summary, language=language, moderators=[actor]
    )
    db.session.commit()
    return consultation


def replace_groups(consultation: Consultation, names: Sequence[str]) -> None:
    names = check_names(names, what=_("stakeholder groups"), minimum=1, maximum=MAX_GROUPS)
    consultation.stakeholder_groups = reordered(
        consultation,
        consultation.stakeholder_groups,
        names,
        StakeholderGroup,
        Participant.stakeholder_group_id,
    )


def replace_regions(consultation: Consultation, names: Sequence[str]) -> None:
    names = check_names(names, what=_("regions"), minimum=0, maximum=MAX_REGIONS)
    consultation.regions = reordered(
        consultation, consultation.regions, names, Region, Participant.region_id
    )


def reordered(consultation, current: list, names: list[str], model, participant_column) -> list:
    """Rows for ``names`` in that order, reusing the existing ones so that votes keep them.

    :raises InvalidInput: when a row that participants chose would be removed.
    """
    existing = {row.name: row for row in current}
    rows = []
    for position, name in enumerate(names):
        row = existing.get(name) or model(name=name)
        row.position = position
        rows.append(row)
    removed = [row for row in current if row not in rows]
    if consultation.id is not None and removed:
        used = db.session.scalar(
            sa.select(sa.func.count()).where(participant_column.in_([r.id for r in removed]))
        )
        if used:
            raise InvalidInput(
                _(
                    "Participants have already chosen %(names)s; rename it instead of removing it.",
                    names=", ".join(r.name for r in removed),
                )
            )
    return rows


def update_settings(
    consultation: Consultation,
    actor: User,
    *,
    title: str,
    summary: str,
    language: str,
    closes_at: datetime | None,
    privacy_notice: str,
    stakeholder_groups: Sequence[str],
    regions: Sequence[str],
    results_visibility: str | None = None,
    premoderation: bool | None = None,
    review_words: str | None = None,
    retention_days: int | None | EllipsisType = ...,
) -> Consultation:
    """``results_visibility`` (a :class:`ResultsVisibility` value), ``premoderation`` and
    ``review_words`` (one word or phrase per line) are kept when None. ``retention_days``
    (1 to 3650, or None to keep personal data until a moderator erases it) is kept when
    left out.

    :raises NotAllowed, InvalidInput:
    """
    require_moderator(actor, consultation)
    words = parse_review_words(review_words) if review_words is not None else None
    if retention_days is not ...:
        retention_days = check_retention_days(retention_days)
    try:
        visibility = ResultsVisibility(results_visibility) if results_visibility else None
    except ValueError:
        raise InvalidInput(
            _("Choose when participants see results."), field="results_visibility"
        ) from None
    try:
        with db.session.no_autoflush:
            consultation.title = title
            consultation.summary = summary
            consultation.language = language
            consultation.closes_at = closes_at
            consultation.privacy_notice = privacy_notice
            replace_groups(consultation, stakeholder_groups)
            replace_regions(consultation, regions)
            if visibility is not None:
                consultation.results_visibility = visibility
            if premoderation is not None:
                consultation.premoderation = premoderation
            if words is not None:
                consultation.review_words = "\n".join(words)
            if retention_days is not ...:
                consultation.retention_days = retention_days
    except InvalidInput:
        db.session.rollback()
        raise
    db.session.commit()
    return consultation


def change_status(consultation: Consultation, actor: User, status: Status) -> Consultation:
    """Move the lifecycle on: draft → open → closed (closed may reopen), recorded in the
    audit log. Publishing is ``cocreate.publication.services.publish``.

    :raises NotAllowed, InvalidInput:
    """
    require_moderator(actor, consultation)
    current = consultation.current_status
    if status not in TRANSITIONS[current]:
        raise InvalidInput(
            _(
                "A %(current)s consultation cannot become %(new)s.",
                current=current.value,
                new=status.value,
            )
        )
    if status is Status.PUBLISHED:
        # Publishing writes the public snapshot in the same transaction: only publish() may.
        raise InvalidInput(
            _(
                "Publish from the “Publish” page: it checks the consolidated texts and "
                "shows what becomes public."
            )
        )
    if status is Status.OPEN and not any(doc.items for doc in consultation.documents):
        raise InvalidInput(_("Add at least one target or good practice before opening."))
    if status is Status.OPEN and consultation.closes_at and consultation.closes_at <= utcnow():
        consultation.closes_at = None  # reopening clears a closing time already passed
    consultation.status = status
    record(
        consultation.id,
        actor,
        "consultation.status",
        ("consultation", consultation.id),
        previous=current.value,
        new=status.value,
    )
    db.session.commit()
    return consultation


def regenerate_join_code(consultation: Consultation, actor: User) -> str:
    """A fresh code; the old one stops working at once. :raises NotAllowed:"""
    require_moderator(actor, consultation)
    consultation.join_code = unused_join_code()
    db.session.commit()
    return consultation.join_code


def set_joining_locked(consultation: Consultation, actor: User, locked: bool) -> None:
    """:raises NotAllowed:"""
    require_moderator(actor, consultation)
    consultation.joining_locked = locked
    db.session.commit()


def add_moderator(consultation: Consultation, actor: User, email: str) -> User:
    """Give an existing moderator account access. :raises NotAllowed, NotFound:"""
    require_moderator(actor, consultation)
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(
            _(
                "No account has the address %(email)s; ask an administrator to invite them first.",
                email=email.strip(),
            ),
            field="email",
        )
    if user not in consultation.moderators:
        consultation.moderators.append(user)
        db.session.commit()
    return user


def ensure_accepts_input(consultation: Consultation) -> None:
    """:raises ConsultationClosed: unless participants may act now."""
    status = consultation.current_status
    if status is not Status.OPEN:
        raise ConsultationClosed(
            _(
                "This consultation is %(status)s: comments and votes are not accepted.",
                status=_(status.value),
            )
        )
