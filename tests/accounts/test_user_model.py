"""The email address is the login: one account per address, whatever its letter case."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.services import user_create
from core.exceptions import ApplicationError
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("variant", ["Foo@Example.com", "FOO@EXAMPLE.COM", "foo@EXAMPLE.com"])
def test_same_address_in_other_case_is_refused_by_the_database(variant: str) -> None:
    User.objects.create_user("foo@example.com", PASSWORD)

    # Bypass every layer of Python code: only the functional unique constraint stands.
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email=variant)

    assert User.objects.filter(email__iexact="foo@example.com").count() == 1


def test_same_address_in_other_case_fails_model_validation() -> None:
    User.objects.create_user("foo@example.com", PASSWORD)

    with pytest.raises(ValidationError) as excinfo:
        User(email="Foo@Example.com").full_clean(exclude=["password"])

    assert "A user with this email address already exists." in str(excinfo.value)


@pytest.mark.parametrize("variant", ["foo@example.com", "Foo@Example.com", "FOO@EXAMPLE.COM"])
def test_natural_key_lookup_ignores_case(variant: str) -> None:
    user = User.objects.create_user("foo@example.com", PASSWORD)

    assert User.objects.get_by_natural_key(variant) == user


def test_natural_key_lookup_of_unknown_address_raises_does_not_exist() -> None:
    User.objects.create_user("foo@example.com", PASSWORD)

    with pytest.raises(User.DoesNotExist):
        User.objects.get_by_natural_key("bar@example.com")


@pytest.mark.parametrize("typed", ["foo@example.com", "Foo@Example.COM"])
def test_authenticate_accepts_the_address_in_any_case(typed: str) -> None:
    user = User.objects.create_user("foo@example.com", PASSWORD)

    assert authenticate(email=typed, password=PASSWORD) == user


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("Foo@Example.com", "foo@example.com"),
        ("MiXeD.Case+tag@EXAMPLE.IT", "mixed.case+tag@example.it"),
        ("plain@example.com", "plain@example.com"),
    ],
)
def test_create_user_stores_the_address_lowercased(given: str, stored: str) -> None:
    user = User.objects.create_user(given, PASSWORD)

    user.refresh_from_db()
    assert user.email == stored
    assert user.check_password(PASSWORD)


def test_create_user_without_address_is_refused() -> None:
    with pytest.raises(ValueError, match="email address is required"):
        User.objects.create_user("", PASSWORD)


def test_create_superuser_is_staff_and_superuser() -> None:
    admin = User.objects.create_superuser("Boss@Example.com", PASSWORD)

    assert admin.is_staff
    assert admin.is_superuser
    assert admin.email == "boss@example.com"


@pytest.mark.parametrize("variant", ["foo@example.com", "FOO@example.com"])
def test_user_create_service_refuses_a_taken_address_in_any_case(variant: str) -> None:
    user_create(email="foo@example.com", password=PASSWORD)

    with pytest.raises(ApplicationError) as excinfo:
        user_create(email=variant, password=PASSWORD)

    assert excinfo.value.code == "email_taken"
    assert "email" in excinfo.value.fields
    assert User.objects.count() == 1


def test_user_create_service_refuses_an_unknown_language() -> None:
    with pytest.raises(ApplicationError):
        user_create(email="foo@example.com", password=PASSWORD, language="xx")

    assert not User.objects.exists()


@pytest.mark.parametrize("display_name", ["", "Ada Lovelace"])
def test_public_name_never_shows_the_email_address(display_name: str) -> None:
    user = UserFactory(email="secret.person@example.com", display_name=display_name)

    name = str(user.public_name)

    assert name
    assert "secret.person" not in name
    assert "@" not in name
    assert "example.com" not in name


def test_public_name_is_the_display_name_when_set() -> None:
    user = UserFactory(display_name="Ada Lovelace")

    assert user.public_name == "Ada Lovelace"


def test_public_name_without_display_name_names_a_numbered_participant() -> None:
    user = UserFactory(display_name="")

    assert str(user.public_name) == f"Participant #{user.pk}"
