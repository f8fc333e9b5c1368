"""Moderating comments. The live console's one-click actions start here."""

from __future__ import annotations

from flask_babel import gettext as _

from cocreate.accounts.models import User
from cocreate.authz import require_moderator
from cocreate.errors import NotFound
from cocreate.extensions import db
from cocreate.participation.models import Comment


def get_comment(comment_id: int, actor: User) -> Comment:
    """:raises NotFound, NotAllowed:"""
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        raise NotFound(_("There is no such comment."))
    require_moderator(actor, comment.item.consultation)
    return comment


def set_hidden(comment: Comment, actor: User, hidden: bool) -> Comment:
    """Hide a comment from participants (it stays in moderator views), or restore it."""
    require_moderator(actor, comment.item.consultation)
    comment.hidden = hidden
    db.session.commit()
    return comment


def set_pinned(comment: Comment, actor: User, pinned: bool) -> Comment:
    """Pinned comments come first for everyone."""
    require_moderator(actor, comment.item.consultation)
    comment.pinned = pinned
    db.session.commit()
    return comment
