"""Models as plain JSON-ready dicts: the shapes that cocreate/api/openapi.json documents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cocreate.amendments.services import AmendmentView
from cocreate.consultations.models import Consultation
from cocreate.drafts.models import Document, Item, Section
from cocreate.participation.models import Comment, Participant, Vote
from cocreate.participation.services import Joined
from cocreate.publication.services import Contribution, Contributions, PublishedResponse


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


def amendment_json(view: AmendmentView, participant: Participant) -> dict:
    """A proposed wording as the participant sees it; load the author's group first."""
    amendment = view.amendment
    return {
        "id": amendment.id,
        "item_id": amendment.item_id,
        "text": amendment.text,
        "base_text": amendment.base_text,
        "reason": amendment.reason,
        "status": amendment.status.value,
        "hidden": amendment.hidden,
        "created_at": timestamp(amendment.created_at),
        "author": {
            "display_name": amendment.participant.display_name,
            "stakeholder_group": amendment.participant.stakeholder_group.name,
        },
        "mine": amendment.participant_id == participant.id,
        "diff": [{"kind": piece.kind, "text": piece.text} for piece in view.diff],
        "my_vote": view.my_vote.value if view.my_vote else None,
        "results": view.results.as_json() if view.results is not None else None,
    }


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


def answered_json(comment: Comment) -> dict:
    """A comment with the moderators' public answers (load ``Comment.answers`` first)."""
    return {
        **comment_json(comment),
        "answers": [
            {"body": answer.body, "created_at": timestamp(answer.created_at)}
            for answer in comment.answers
        ],
    }


def thread_json(comment: Comment) -> dict:
    """A top-level comment with its visible replies (replies are one level deep)."""
    return {
        **answered_json(comment),
        "replies": [answered_json(reply) for reply in comment.replies if not reply.hidden],
    }


def response_json(response: PublishedResponse | None) -> dict | None:
    if response is None:
        return None
    return {
        "outcome": response.outcome,
        "rationale": response.rationale,
        "passage": response.passage,
    }


def contributions_json(contributions: Contributions) -> dict:
    """You said, we did: a participant's own comments and proposals, and their fate."""
    published = contributions.published
    return {
        "consultation_id": contributions.consultation_id,
        "published": published is not None,
        "revision": published.revision if published else None,
        "published_at": timestamp(published.published_at) if published else None,
        "comments": [my_comment_json(entry) for entry in contributions.comments],
        "amendments": [my_amendment_json(entry) for entry in contributions.amendments],
    }


def my_comment_json(entry: Contribution) -> dict:
    merged = entry.merged_into
    return {
        "id": entry.id,
        "item_id": entry.item_id,
        "item_ref": entry.item_ref,
        "parent_id": entry.parent_id,
        "body": entry.body,
        "created_at": timestamp(entry.created_at),
        "status": entry.status,
        "hidden_reason": entry.hidden_reason,
        "hidden_note": entry.hidden_note,
        "merged_into": {
            "id": merged.id,
            "body": merged.body,
            "response": response_json(merged.response),
        }
        if merged is not None
        else None,
        "response": response_json(entry.response),
    }


def my_amendment_json(entry: Contribution) -> dict:
    return {
        "id": entry.id,
        "item_id": entry.item_id,
        "item_ref": entry.item_ref,
        "text": entry.body,
        "reason": entry.reason,
        "created_at": timestamp(entry.created_at),
        "status": entry.status,
        "decision": entry.amendment_status,
        "response": response_json(entry.response),
    }
