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


def application_error_from_validation(exc: Any) -> ApplicationError:
    """Turn a Django ValidationError (from full_clean) into our error, fields included."""
    from django.core.exceptions import NON_FIELD_ERRORS
    from django.utils.translation import gettext_lazy as _

    if hasattr(exc, "error_dict"):
        fields = {
            ("non_field_errors" if k == NON_FIELD_ERRORS else k): list(v)
            for k, v in exc.message_dict.items()
        }
        first = next(iter(fields.values()))[0] if fields else _("Some of the data is not valid.")
        return ApplicationError(first, code="invalid", fields=fields)
    messages = list(getattr(exc, "messages", [str(exc)]))
    return ApplicationError(messages[0], code="invalid", fields={"non_field_errors": messages})
