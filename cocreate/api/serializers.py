"""Models as plain JSON-ready dicts: the shapes that cocreate/api/openapi.json documents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cocreate.consultations.models import Consultation
from cocreate.drafts.models import Document, Item, Section
from cocreate.participation.models import Comment, Participant, Vote
from cocreate.participation.services import Joined


def timestamp(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def participant_json(participant: Participant) -> dict:
    return {
        "id": participant.id,
        "display_name": participant.display_name,
        "stakeholder_group": participant.stakeholder_group.name,
        "region": participant.region.name if participant.region else None,
        "consultation_id": participant.consultation_id,
    }


def joined_json(joined: Joined) -> dict:
    """The answer to a join: the two secrets are shown here once and never again."""
    return {
        "token": joined.token,
        "return_code": joined.return_code,
        "participant": participant_json(joined.participant),
        "consultation": consultation_summary_json(joined.participant.consultation),
    }


def consultation_summary_json(consultation: Consultation) -> dict:
    return {
        "id": consultation.id,
        "title": consultation.title,
        "summary": consultation.summary,
        "language": consultation.language,
        "status": consultation.current_status.value,
        "closes_at": timestamp(consultation.closes_at),
    }


def consultation_json(consultation: Consultation, documents: Sequence[Document]) -> dict:
    """The whole consultation; ``documents`` come loaded with their sections and items."""
    return {
        **consultation_summary_json(consultation),
        "stakeholder_groups": [group.name for group in consultation.stakeholder_groups],
        "regions": [region.name for region in consultation.regions],
        "documents": [document_json(document) for document in documents],
    }


def document_json(document: Document) -> dict:
    return {
        "id": document.id,
        "kind": document.kind.value,
        "title": document.title,
        "introduction": document.introduction,
        "sections": [section_json(section) for section in document.sections],
        "items": [item_json(item) for item in document.items],
    }


def section_json(section: Section) -> dict:
    return {"id": section.id, "title": section.title, "description": section.description}


def item_json(item: Item) -> dict:
    return {
        "id": item.id,
        "ref": item.ref,
        "title": item.title,
        "text": item.text,
        "kind": item.kind.value,
        "section_id": item.section_id,
        "milestone_year": item.milestone_year if item.is_target else None,
        "indicators": list(item.indicators),
        "responsible_actors": list(item.responsible_actors),
        "criteria": list(item.criteria),
        "applies_to": list(item.applies_to),
    }


def vote_json(vote: Vote) -> dict:
    return {"item_id": vote.item_id, "value": vote.value.value}


def comment_json(comment: Comment) -> dict:
    """One comment; its body is the text as written, and escaping it is the reader's job."""
    return {
        "id": comment.id,
        "item_id": comment.item_id,
        "parent_id": comment.parent_id,
        "body": comment.body,
        "created_at": timestamp(comment.created_at),
        "supports": comment.support_count,
        "pinned": comment.pinned,
        "author": {
            "display_name": comment.participant.display_name,
            "stakeholder_group": comment.participant.stakeholder_group.name,
        },
    }


def moderated_comment_json(comment: Comment) -> dict:
    """A comment as moderators see it: with its moderation state and author."""
    return {
        **comment_json(comment),
        "hidden": comment.hidden,
        "participant_id": comment.participant_id,
        "event_id": comment.event_id,
    }


def thread_json(comment: Comment) -> dict:
    """A top-level comment with its visible replies (replies are one level deep)."""
    return {
        **comment_json(comment),
        "replies": [comment_json(reply) for reply in comment.replies if not reply.hidden],
    }
