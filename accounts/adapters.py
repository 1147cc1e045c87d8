"""Extend allauth through its adapter: language of new accounts and of their emails, and the
login lockout (`accounts.lockout`) around every password check allauth makes."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import MaxLengthValidator
from django.http import HttpRequest
from django.utils import translation

from accounts.lockout import LoginLocked, login_attempt, login_client_address


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email: str) -> str:
        # allauth's email field has no length limit and would silently truncate the address
        # to fit the user table, creating an account for a different address.
        max_length = get_user_model()._meta.get_field("email").max_length
        MaxLengthValidator(max_length)(email)
        return super().clean_email(email)

    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        language = translation.get_language() or settings.LANGUAGE_CODE
        if not user.language and language in dict(settings.LANGUAGES):
            user.language = language
        user.email = user.email.lower()
        return super().save_user(request, user, form, commit=commit)

    def authenticate(self, request: HttpRequest, **credentials: Any) -> Any:
        login = credentials.get("email") or credentials.get("username") or ""
        try:
            return login_attempt(
                login=login,
                address=login_client_address(request),
                check=lambda: super(AccountAdapter, self).authenticate(request, **credentials),
            )
        except LoginLocked as exc:
            raise forms.ValidationError(exc.message, code="too_many_login_attempts") from exc

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        user = context.get("user")
        language = getattr(user, "language", "") or translation.get_language()
        with translation.override(language):
            super().send_mail(template_prefix, email, context)
