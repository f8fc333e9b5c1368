"""Domain errors that services raise; views, the API and the CLI each render them."""

from __future__ import annotations


class DomainError(Exception):
    """Something a person asked for that cannot be done, with a message that says why."""

    code = "invalid"
    status = 422

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 422


class NotFound(DomainError):
    code = "not_found"
    status = 404


class NotAllowed(DomainError):
    code = "forbidden"
    status = 403


class NotAuthenticated(DomainError):
    code = "unauthenticated"
    status = 401


class ConsultationClosed(DomainError):
    """The consultation's status (or a locked door) does not allow this now."""

    code = "consultation_closed"
    status = 409


class EditConflict(DomainError):
    """Someone else saved the same thing first; nothing was overwritten."""

    code = "edit_conflict"
    status = 409


class PhaseClosed(DomainError):
    """The moderator closed voting on this item."""

    code = "phase_closed"
    status = 409


class ResultsHidden(DomainError):
    """The consultation shows results only after voting or once revealed."""

    code = "results_hidden"
    status = 403
