"""Form primitives shared by every app: showing a service's refusal on the form it came from."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from core.exceptions import ApplicationError

T = TypeVar("T")


class ServiceErrorFormMixin:
    """Show a service's ApplicationError on a form: on the fields it names, else above the form.

    `service_field_names` maps a service's field name to the form field that shows it, where
    they differ.
    """

    service_field_names: dict[str, str] = {}

    def add_service_error(self, error: ApplicationError) -> None:
        placed: list[str] = []
        for name, messages in error.fields.items():
            field = self.service_field_names.get(name, name)
            if field not in self.fields:  # type: ignore[attr-defined]
                continue
            for message in messages:
                self.add_error(field, message)  # type: ignore[attr-defined]
                placed.append(str(message))
        if str(error.message) not in placed:
            self.add_error(None, error.message)  # type: ignore[attr-defined]

    def call_service(self, action: Callable[[], T]) -> tuple[T | None, int]:
        """Validate, then run `action` (a service call); its error shows on the form.

        Returns the service's result (None when refused) and the status to answer with.
        """
        if not self.is_valid():  # type: ignore[attr-defined]
            return None, 400
        try:
            return action(), 200
        except ApplicationError as error:
            self.add_service_error(error)
            return None, error.status_code
