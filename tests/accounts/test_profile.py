"""A person edits what others see of them; their language follows them to every device."""

from __future__ import annotations

import html
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from accounts.models import User
from accounts.services import AVATAR_MAX_SIDE
from tests import imagefiles as files
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROFILE_URL = reverse("profile")


@pytest.fixture
def user() -> User:
    return UserFactory(display_name="Old Name", language="")


@pytest.fixture
def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post_profile(client: Client, **fields: object):
    data = {"display_name": "", "language": ""}
    data.update(fields)
    return client.post(PROFILE_URL, data, HTTP_ACCEPT_LANGUAGE="en")


def _stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _text(response) -> str:
    return html.unescape(response.content.decode())


def test_anonymous_is_sent_to_login() -> None:
    response = Client().get(PROFILE_URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert "next=/accounts/profile/" in response.url


def test_anonymous_post_changes_nothing(user: User) -> None:
    response = Client().post(PROFILE_URL, {"display_name": "Hacker", "language": "it"})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.display_name == "Old Name"


def test_profile_page_shows_the_current_values(client_for: Client, user: User) -> None:
    response = client_for.get(PROFILE_URL)

    assert response.status_code == 200
    assert response.context["form"].initial["display_name"] == "Old Name"
    assert "Old Name" in _text(response)


@pytest.mark.parametrize(
    ("typed", "stored"), [("Ada Lovelace", "Ada Lovelace"), ("  Ada  ", "Ada"), ("", "")]
)
def test_edit_display_name(client_for: Client, user: User, typed: str, stored: str) -> None:
    response = _post_profile(client_for, display_name=typed)

    assert response.status_code == 302
    assert response.url == PROFILE_URL
    user.refresh_from_db()
    assert user.display_name == stored


def test_saving_shows_a_confirmation(client_for: Client) -> None:
    response = client_for.post(PROFILE_URL, {"display_name": "Ada", "language": "en"}, follow=True)

    assert response.status_code == 200
    assert "Your profile has been saved." in _text(response)


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"display_name": "x" * 61}, "display_name"),
        ({"language": "xx"}, "language"),
        ({"language": "de"}, "language"),
    ],
)
def test_invalid_profile_is_refused_with_400(
    client_for: Client, user: User, fields: dict, bad_field: str
) -> None:
    response = _post_profile(client_for, **fields)

    assert response.status_code == 400
    assert bad_field in response.context["form"].errors
    user.refresh_from_db()
    assert user.display_name == "Old Name"
    assert user.language == ""


# --- Preferred language ----------------------------------------------------------------------


@pytest.mark.parametrize("browser", ["en", "en-US,en;q=0.9", "it"])
def test_preferred_language_wins_over_the_browser(client_for: Client, browser: str) -> None:
    _post_profile(client_for, display_name="Ada", language="it")

    response = client_for.get(PROFILE_URL, HTTP_ACCEPT_LANGUAGE=browser)

    assert response.status_code == 200
    assert response.headers["Content-Language"] == "it"
    assert "Il tuo profilo" in _text(response)


def test_preferred_language_wins_over_the_language_cookie(client_for: Client) -> None:
    _post_profile(client_for, language="en")
    client_for.cookies[settings.LANGUAGE_COOKIE_NAME] = "it"

    response = client_for.get(PROFILE_URL, HTTP_ACCEPT_LANGUAGE="it")

    assert response.headers["Content-Language"] == "en"
    assert "Your profile" in _text(response)


def test_without_a_preference_the_browser_decides(client_for: Client) -> None:
    _post_profile(client_for, language="")

    italian = client_for.get(PROFILE_URL, HTTP_ACCEPT_LANGUAGE="it")
    english = client_for.get(PROFILE_URL, HTTP_ACCEPT_LANGUAGE="en")

    assert "Il tuo profilo" in _text(italian)
    assert "Your profile" in _text(english)


def test_preferred_language_does_not_leak_to_another_visitor(client_for: Client) -> None:
    _post_profile(client_for, language="it")
    client_for.get(PROFILE_URL)

    response = Client().get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.headers["Content-Language"] == "en"


# --- /i18n/setlang/ --------------------------------------------------------------------------


def test_setlang_stores_the_language_of_a_signed_in_person(client_for: Client, user: User) -> None:
    response = client_for.post(reverse("set_language"), {"language": "it", "next": "/"})

    assert response.status_code == 302
    assert response.url == "/"
    user.refresh_from_db()
    assert user.language == "it"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "it"

    # Another device (no cookie, an English browser) gets Italian too.
    elsewhere = Client()
    elsewhere.force_login(user)
    page = elsewhere.get(PROFILE_URL, HTTP_ACCEPT_LANGUAGE="en")
    assert "Il tuo profilo" in _text(page)


@pytest.mark.parametrize("language", ["xx", "english", "<script>"])
def test_setlang_ignores_an_unknown_language(client_for: Client, user: User, language: str) -> None:
    user.language = "en"
    user.save(update_fields=["language"])

    response = client_for.post(reverse("set_language"), {"language": language, "next": "/"})

    assert response.status_code in (302, 400)
    user.refresh_from_db()
    assert user.language == "en"


def test_setlang_for_an_anonymous_visitor_sets_only_the_cookie() -> None:
    client = Client()

    response = client.post(reverse("set_language"), {"language": "it", "next": "/"})

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "it"
    page = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.headers["Content-Language"] == "it"


def test_setlang_refuses_get(client_for: Client, user: User) -> None:
    response = client_for.get(reverse("set_language"), {"language": "it"})

    assert response.status_code == 405
    user.refresh_from_db()
    assert user.language == ""


def test_setlang_does_not_redirect_off_site(client_for: Client) -> None:
    response = client_for.post(
        reverse("set_language"), {"language": "it", "next": "https://evil.example/"}
    )

    assert response.status_code == 302
    assert "evil.example" not in response.url


# --- Avatar ----------------------------------------------------------------------------------


def _avatar(data: bytes, name: str = "me.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def test_avatar_upload_is_re_encoded_without_metadata(client_for: Client, user: User) -> None:
    original = files.jpeg_bytes(size=(1200, 800), orientation=6)
    assert files.has_metadata(original)

    response = _post_profile(client_for, avatar=_avatar(original, "holiday-in-rome.jpg"))

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.avatar
    assert user.avatar.name.startswith("avatars/")
    assert "holiday-in-rome" not in user.avatar.name
    stored = Path(user.avatar.path).read_bytes()
    assert stored != original
    assert not files.has_metadata(stored)
    with Image.open(io.BytesIO(stored)) as img:
        assert img.format == "JPEG"
        assert max(img.size) <= AVATAR_MAX_SIDE
        assert img.height > img.width  # orientation 6 applied: portrait now
    assert _stored_files() == [Path(user.avatar.path)]


def test_avatar_is_shown_on_the_profile_page(client_for: Client, user: User) -> None:
    _post_profile(client_for, avatar=_avatar(files.jpeg_bytes()))
    user.refresh_from_db()

    response = client_for.get(PROFILE_URL)

    assert user.avatar.url in response.content.decode()


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"this is not an image at all", "me.jpg"),
        (files.SVG_WITH_SCRIPT, "me.jpg"),
        (files.jpeg_bytes(), "me.svg"),
        (files.noisy_jpeg_bytes()[:2000], "me.jpg"),
        (files.png_header_claiming(20_000, 20_000), "me.png"),
    ],
    ids=["text", "svg", "wrong-extension", "truncated", "pixel-bomb"],
)
def test_bad_avatar_is_refused_and_the_previous_one_kept(
    client_for: Client, user: User, data: bytes, name: str
) -> None:
    _post_profile(client_for, display_name="Ada", avatar=_avatar(files.jpeg_bytes()))
    user.refresh_from_db()
    previous = user.avatar.name
    before = _stored_files()

    response = _post_profile(client_for, display_name="Changed", avatar=_avatar(data, name))

    assert response.status_code == 400
    assert response.context["form"].errors["avatar"]
    user.refresh_from_db()
    assert user.avatar.name == previous
    assert user.display_name == "Ada"  # the whole save was refused
    assert _stored_files() == before


def test_bad_avatar_error_is_shown_in_the_persons_language(client_for: Client, user: User) -> None:
    _post_profile(client_for, language="it")

    response = client_for.post(
        PROFILE_URL,
        {"display_name": "", "language": "it", "avatar": _avatar(b"nope", "me.jpg")},
    )

    assert response.status_code == 400
    assert "Questo file non è una foto JPEG, PNG, WebP o HEIC." in _text(response)


def test_oversized_avatar_is_refused(client_for: Client, user: User) -> None:
    response = _post_profile(client_for, avatar=_avatar(b"\xff" * (5 * 1024 * 1024 + 1)))

    assert response.status_code == 400
    assert "too large" in str(response.context["form"].errors["avatar"])
    assert _stored_files() == []


def test_replacing_the_avatar_deletes_the_old_file(
    client_for: Client, user: User, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _post_profile(client_for, avatar=_avatar(files.jpeg_bytes()))
    user.refresh_from_db()
    first = Path(user.avatar.path)

    with django_capture_on_commit_callbacks(execute=True):
        _post_profile(client_for, avatar=_avatar(files.png_bytes(mode="RGBA"), "new.png"))

    user.refresh_from_db()
    assert not first.exists()
    assert _stored_files() == [Path(user.avatar.path)]
    assert user.avatar.name.endswith(".png")


def test_remove_avatar(client_for: Client, user: User, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _post_profile(client_for, avatar=_avatar(files.jpeg_bytes()))

    with django_capture_on_commit_callbacks(execute=True):
        response = _post_profile(client_for, remove_avatar="on")

    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.avatar
    assert _stored_files() == []


def test_saving_without_a_new_avatar_keeps_the_current_one(client_for: Client, user: User) -> None:
    _post_profile(client_for, avatar=_avatar(files.jpeg_bytes()))
    user.refresh_from_db()
    current = user.avatar.name

    _post_profile(client_for, display_name="Renamed")

    user.refresh_from_db()
    assert user.avatar.name == current
    assert user.display_name == "Renamed"
