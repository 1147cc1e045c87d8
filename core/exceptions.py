"""Domain errors: raised by services, shown by every door in the user's language."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A rule refused the request; the message is translatable and safe to show."""

    status_code = 400
    code = "invalid"

    def __init__(
        self, message: Any, *, code: str | None = None, fields: dict[str, list[Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}


class PermissionDenied(ApplicationError):
    status_code = 403
    code = "permission_denied"


class Conflict(ApplicationError):
    status_code = 409
    code = "conflict"
