from django.contrib.auth.password_validation import MinimumLengthValidator
from django.utils.translation import ngettext


class PasswordLengthValidator(MinimumLengthValidator):
    """Django 5.2's "too short" message is missing from its Italian catalogue; ours has it."""

    def get_error_message(self) -> str:
        return ngettext(
            "This password is too short. It must contain at least %(min_length)d character.",
            "This password is too short. It must contain at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}

    def get_help_text(self) -> str:
        return ngettext(
            "Your password must contain at least %(min_length)d character.",
            "Your password must contain at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}
