"""Sign-up, email verification, login, logout, password reset and admin login, through the real
allauth pages: every mistake a person can make ends on a page that says what went wrong."""

from __future__ import annotations

import html
import re
import time
from types import SimpleNamespace

import pytest
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.conf import settings
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from accounts.lockout import lockout_policy
from accounts.models import Brand, BrandMembership, User
from tests.factories import PASSWORD, BrandFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "purple-otter-swims-at-dawn"
LOGIN_URL = reverse("account_login")
SIGNUP_URL = reverse("account_signup")
VERIFICATION_SENT_URL = reverse("account_email_verification_sent")


def _text(response) -> str:
    """The page as a reader sees it: entities decoded, so apostrophes compare plainly."""
    return html.unescape(response.content.decode())


def _signup(client: Client, email: str, password1: str, password2: str | None = None, **extra):
    data = {"email": email, "password1": password1, "password2": password2 or password1}
    return client.post(SIGNUP_URL, data, **extra)


def _login(client: Client, email: str, password: str, next_url: str = "", **extra):
    url = f"{LOGIN_URL}?next={next_url}" if next_url else LOGIN_URL
    return client.post(url, {"login": email, "password": password}, **extra)


def _link(message: mail.EmailMessage, path_prefix: str) -> str:
    match = re.search(rf"https?://testserver({re.escape(path_prefix)}\S+)", message.body)
    assert match, f"no {path_prefix} link in: {message.body}"
    return match.group(1)


def _logged_in_as(client: Client) -> int | None:
    user_id = client.session.get("_auth_user_id")
    return int(user_id) if user_id else None


def _key_failure_limit() -> int:
    """The configured number of failed logins one account may have before it is refused."""
    return lockout_policy().attempts


# --- The happy path --------------------------------------------------------------------------


def test_signup_verify_login_logout_journey() -> None:
    client = Client()

    response = _signup(client, "New.Person@Example.com", NEW_PASSWORD)

    assert response.status_code == 302
    assert response.url == VERIFICATION_SENT_URL
    user = User.objects.get()
    assert user.email == "new.person@example.com"
    assert not EmailAddress.objects.get(user=user).verified
    assert _logged_in_as(client) is None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.person@example.com"]
    confirm_path = _link(mail.outbox[0], "/accounts/confirm-email/")

    # Before verifying: no session, and a page that explains what to do next.
    response = _login(client, "new.person@example.com", NEW_PASSWORD)
    assert response.status_code == 302
    assert response.url == VERIFICATION_SENT_URL
    assert _logged_in_as(client) is None
    page = client.get(response.url)
    assert page.status_code == 200
    assert re.search(r"confirm|verif", _text(page), re.IGNORECASE)

    # A GET of the link (a mail scanner's prefetch) must not verify the address.
    assert client.get(confirm_path).status_code == 200
    assert not EmailAddress.objects.get(user=user).verified

    response = client.post(confirm_path)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert _logged_in_as(client) is None  # confirming does not sign in

    response = _login(client, "New.Person@example.com", NEW_PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert _logged_in_as(client) == user.pk

    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert _logged_in_as(client) is None


def test_signup_records_the_language_the_person_signed_up_in() -> None:
    _signup(Client(), "lingua@example.com", NEW_PASSWORD, HTTP_ACCEPT_LANGUAGE="it")

    assert User.objects.get().language == "it"
    assert "Conferma" in mail.outbox[0].subject or "conferma" in mail.outbox[0].body


def test_signup_page_renders() -> None:
    response = Client().get(SIGNUP_URL)

    assert response.status_code == 200
    assert 'name="password2"' in response.content.decode()


# --- Sign-up mistakes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "language", "message"),
    [
        ("taken@example.com", "en", "A user is already registered with this email address."),
        ("Taken@Example.COM", "en", "A user is already registered with this email address."),
        ("TAKEN@example.com", "it", "Un utente è già registrato con questo indirizzo email."),
    ],
)
def test_signup_with_a_taken_address_says_so_and_changes_nothing(
    typed: str, language: str, message: str
) -> None:
    existing = UserFactory(email="taken@example.com")

    response = _signup(Client(), typed, NEW_PASSWORD, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.count() == 1
    existing.refresh_from_db()
    assert existing.check_password(PASSWORD)
    assert mail.outbox == []


SIGNUP_MISTAKES = [
    # (password1, password2, English message, Italian message)
    ("short1!", "short1!", "This password is too short", "Questa password è troppo corta"),
    (
        "password123",
        "password123",
        "This password is too common",
        "Questa password è troppo comune",
    ),
    ("4815162342", "4815162342", "This password is entirely numeric", "interamente numerica"),
    (
        NEW_PASSWORD,
        NEW_PASSWORD + "x",
        "You must type the same password each time",
        "Devi digitare la stessa password",
    ),
]


@pytest.mark.parametrize(("language", "column"), [("en", 2), ("it", 3)], ids=["english", "italian"])
@pytest.mark.parametrize(
    "mistake", SIGNUP_MISTAKES, ids=["short", "common", "numeric", "mismatched"]
)
def test_signup_with_a_bad_password_explains_why(mistake, language: str, column: int) -> None:
    response = _signup(
        Client(), "someone@example.com", mistake[0], mistake[1], HTTP_ACCEPT_LANGUAGE=language
    )

    assert response.status_code == 200
    assert mistake[column] in _text(response)
    assert not User.objects.exists()
    assert mail.outbox == []


def test_signup_password_similar_to_the_address_is_refused() -> None:
    response = _signup(Client(), "giuseppe.garibaldi@example.com", "giuseppe.garibaldi")

    assert response.status_code == 200
    assert "too similar" in _text(response)
    assert not User.objects.exists()


@pytest.mark.parametrize("email", ["", "not-an-address", "a@b", "x" * 250 + "@example.com"])
def test_signup_with_a_bad_address_is_refused(email: str) -> None:
    response = _signup(Client(), email, NEW_PASSWORD)

    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert not User.objects.exists()


# --- Login mistakes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "The email address and/or password you specified are not correct."),
        ("it", "L'indirizzo email e/o la password che hai usato non sono corretti."),
    ],
)
@pytest.mark.parametrize("who", ["wrong_password", "unknown_address"])
def test_login_with_bad_credentials_explains_without_telling_which(
    language: str, message: str, who: str
) -> None:
    UserFactory(email="known@example.com")
    email = "known@example.com" if who == "wrong_password" else "nobody@example.com"
    client = Client()

    response = _login(client, email, "not-the-password", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    assert message in _text(response)
    assert _logged_in_as(client) is None


def test_login_page_renders() -> None:
    response = Client().get(LOGIN_URL)

    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()


def test_login_of_unverified_account_sends_a_fresh_link_and_explains() -> None:
    user = UserFactory(email="late@example.com", verified=False)
    client = Client()

    response = _login(client, "late@example.com", PASSWORD)

    assert response.status_code == 302
    assert response.url == VERIFICATION_SENT_URL
    assert _logged_in_as(client) is None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    page = client.get(response.url)
    assert page.status_code == 200
    assert "late@example.com" in _text(page)  # "Confirmation email sent to ..."


# --- Confirmation keys -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "This email confirmation link expired or is invalid"),
        ("it", "Questo link di conferma email è scaduto o non è valido"),
    ],
)
@pytest.mark.parametrize("key", ["garbage", "MQ:1abcde:not-a-real-signature", "0" * 64])
def test_unknown_confirmation_key_explains_and_never_errors(
    key: str, language: str, message: str
) -> None:
    url = reverse("account_confirm_email", args=[key])
    client = Client(HTTP_ACCEPT_LANGUAGE=language)

    page = client.get(url)
    submitted = client.post(url)

    assert page.status_code == 200
    assert message in _text(page)
    assert submitted.status_code == 404


def test_expired_confirmation_key_explains_and_does_not_verify(monkeypatch) -> None:
    user = UserFactory(verified=False)
    address = EmailAddress.objects.create(user=user, email=user.email, primary=True)
    days = settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS
    issued = time.time() - (days * 86400 + 60)
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: issued))
    key = EmailConfirmationHMAC(address).key
    monkeypatch.undo()
    url = reverse("account_confirm_email", args=[key])
    client = Client()

    page = client.get(url)
    submitted = client.post(url)

    assert page.status_code == 200
    assert "expired or is invalid" in _text(page)
    assert submitted.status_code == 404
    address.refresh_from_db()
    assert not address.verified


def test_confirmation_key_still_valid_just_before_expiry(monkeypatch) -> None:
    user = UserFactory(verified=False)
    address = EmailAddress.objects.create(user=user, email=user.email, primary=True)
    days = settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS
    issued = time.time() - (days * 86400 - 3600)
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: issued))
    key = EmailConfirmationHMAC(address).key
    monkeypatch.undo()

    response = Client().post(reverse("account_confirm_email", args=[key]))

    assert response.status_code == 302
    address.refresh_from_db()
    assert address.verified


# --- Rate limit on failed logins -------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Too many failed login attempts. Try again in 15 minutes."),
        ("it", "Troppi tentativi di accesso non riusciti. Riprova tra 15 minuti."),
    ],
)
def test_repeated_failed_logins_refuse_even_the_right_password(language: str, message: str) -> None:
    UserFactory(email="target@example.com")
    limit = _key_failure_limit()
    attacker = Client(HTTP_ACCEPT_LANGUAGE=language)
    for attempt in range(limit):
        # Letter case must not buy an attacker extra attempts.
        typed = "target@example.com" if attempt % 2 else "TARGET@example.com"
        response = _login(attacker, typed, f"guess-{attempt}")
        assert response.status_code == 200
        assert message not in _text(response)

    response = _login(attacker, "target@example.com", PASSWORD)

    assert response.status_code == 200
    assert message in _text(response)
    assert _logged_in_as(attacker) is None


def test_failed_logins_below_the_limit_do_not_lock_the_account() -> None:
    user = UserFactory(email="target@example.com")
    client = Client()
    for attempt in range(_key_failure_limit() - 1):
        _login(client, "target@example.com", f"guess-{attempt}")

    response = _login(client, "target@example.com", PASSWORD)

    assert response.status_code == 302
    assert _logged_in_as(client) == user.pk


def test_rate_limit_on_one_account_leaves_other_accounts_alone() -> None:
    UserFactory(email="target@example.com")
    bystander = UserFactory(email="bystander@example.com")
    client = Client()
    for attempt in range(_key_failure_limit() + 1):
        _login(client, "target@example.com", f"guess-{attempt}")

    response = _login(client, "bystander@example.com", PASSWORD)

    assert response.status_code == 302
    assert _logged_in_as(client) == bystander.pk


# --- Password reset --------------------------------------------------------------------------


def test_password_reset_journey() -> None:
    user = UserFactory(email="forgetful@example.com")
    client = Client()

    response = client.post(reverse("account_reset_password"), {"email": "Forgetful@Example.com"})

    assert response.status_code == 302
    assert response.url == reverse("account_reset_password_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["forgetful@example.com"]
    key_path = _link(mail.outbox[0], "/accounts/password/reset/key/")

    response = client.get(key_path)  # the key moves into the session, out of the address bar
    assert response.status_code == 302
    set_password_url = response.url
    assert client.get(set_password_url).status_code == 200

    response = client.post(set_password_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("account_reset_password_from_key_done")

    assert _login(Client(), user.email, PASSWORD).status_code == 200  # old password refused
    fresh = Client()
    response = _login(fresh, user.email, NEW_PASSWORD)
    assert response.status_code == 302
    assert _logged_in_as(fresh) == user.pk


def test_password_reset_link_works_once() -> None:
    UserFactory(email="forgetful@example.com")
    client = Client()
    client.post(reverse("account_reset_password"), {"email": "forgetful@example.com"})
    key_path = _link(mail.outbox[0], "/accounts/password/reset/key/")
    set_password_url = client.get(key_path).url
    client.post(set_password_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    again = Client()
    response = again.get(key_path, follow=True)

    assert response.status_code == 200
    assert "invalid" in _text(response).lower()


def test_password_reset_refuses_a_weak_new_password() -> None:
    user = UserFactory(email="forgetful@example.com")
    client = Client()
    client.post(reverse("account_reset_password"), {"email": "forgetful@example.com"})
    set_password_url = client.get(_link(mail.outbox[0], "/accounts/password/reset/key/")).url

    response = client.post(set_password_url, {"password1": "password", "password2": "password"})

    assert response.status_code == 200
    assert "This password is too common" in _text(response)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "The email address is not assigned to any user account."),
        ("it", "L'indirizzo email non è assegnato a nessun account utente."),
    ],
)
def test_password_reset_for_an_unknown_address_says_so(language: str, message: str) -> None:
    response = Client().post(
        reverse("account_reset_password"),
        {"email": "nobody@example.com"},
        HTTP_ACCEPT_LANGUAGE=language,
    )

    assert response.status_code == 200
    assert message in _text(response)
    assert mail.outbox == []


@pytest.mark.parametrize("key", ["garbage", "1-garbage", "zz-" + "a" * 40])
def test_password_reset_with_a_garbage_key_explains(key: str) -> None:
    url = f"/accounts/password/reset/key/{key}/"

    response = Client().get(url, follow=True)

    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert "invalid" in _text(response).lower()


# --- Admin -----------------------------------------------------------------------------------


@pytest.fixture
def admin_user() -> User:
    return UserFactory(email="boss@example.com", is_staff=True, is_superuser=True)


def test_admin_login_is_the_allauth_login(admin_user: User) -> None:
    client = Client()

    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1][0].startswith(LOGIN_URL)
    assert response.status_code == 200
    assert "next=" in response.redirect_chain[-1][0]


def test_staff_logs_in_and_sees_the_admin_index(admin_user: User) -> None:
    client = Client()

    response = _login(client, "Boss@Example.com", PASSWORD, next_url="/admin/")

    assert response.status_code == 302
    assert response.url == "/admin/"
    index = client.get("/admin/")
    assert index.status_code == 200
    assert "Site administration" in _text(index)


def test_plain_staff_member_sees_the_admin_index() -> None:
    UserFactory(email="helper@example.com", is_staff=True)
    client = Client()
    _login(client, "helper@example.com", PASSWORD, next_url="/admin/")

    assert client.get("/admin/").status_code == 200


def test_non_staff_is_refused_by_the_admin() -> None:
    participant = UserFactory()
    client = Client()
    client.force_login(participant)

    response = client.get("/admin/")

    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert not response.url.startswith("/admin/accounts")
    assert client.get("/admin/accounts/user/").status_code in (302, 403)


def test_admin_login_shares_the_failed_login_rate_limit(admin_user: User) -> None:
    client = Client()
    for attempt in range(_key_failure_limit()):
        _login(client, "boss@example.com", f"guess-{attempt}", next_url="/admin/")

    response = _login(client, "boss@example.com", PASSWORD, next_url="/admin/")

    assert response.status_code == 200
    assert "Too many failed login attempts" in _text(response)
    assert client.get("/admin/").status_code == 302


@pytest.fixture
def admin_client_allauth(admin_user: User) -> Client:
    client = Client()
    response = _login(client, admin_user.email, PASSWORD, next_url="/admin/")
    assert response.status_code == 302
    return client


def _changelist_rows(client: Client, url: str, query: str) -> list:
    response = client.get(url, {"q": query})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_admin_users_changelist_searches_by_email_and_name(admin_client_allauth: Client) -> None:
    ada = UserFactory(email="ada@example.com", display_name="Ada Lovelace")
    UserFactory(email="grace@example.com", display_name="Grace Hopper")

    by_email = _changelist_rows(admin_client_allauth, "/admin/accounts/user/", "ADA@example")
    by_name = _changelist_rows(admin_client_allauth, "/admin/accounts/user/", "lovelace")

    assert by_email == [ada]
    assert by_name == [ada]


def test_admin_brands_changelist_searches(admin_client_allauth: Client) -> None:
    acme = BrandFactory(name="Acme Coffee", slug="acme-coffee")
    BrandFactory(name="Globex", slug="globex")

    assert _changelist_rows(admin_client_allauth, "/admin/accounts/brand/", "coffee") == [acme]
    assert _changelist_rows(admin_client_allauth, "/admin/accounts/brand/", "nothing") == []


def test_admin_memberships_changelist_searches_by_person_and_brand(
    admin_client_allauth: Client,
) -> None:
    acme = BrandFactory(name="Acme Coffee", slug="acme-coffee")
    ada = MembershipFactory(brand=acme, user=UserFactory(email="ada@example.com"))
    grace = MembershipFactory(user=UserFactory(email="grace@example.com"))
    url = "/admin/accounts/brandmembership/"

    assert _changelist_rows(admin_client_allauth, url, "acme") == [ada]
    assert _changelist_rows(admin_client_allauth, url, "grace@") == [grace]
    assert BrandMembership.objects.count() == 2
    assert Brand.objects.count() == 2


@pytest.mark.parametrize("url", ["/admin/accounts/user/add/", "/admin/accounts/brand/add/"])
def test_admin_add_forms_render(admin_client_allauth: Client, url: str) -> None:
    assert admin_client_allauth.get(url).status_code == 200


def test_admin_user_change_form_renders(admin_client_allauth: Client, admin_user: User) -> None:
    response = admin_client_allauth.get(f"/admin/accounts/user/{admin_user.pk}/change/")

    assert response.status_code == 200
