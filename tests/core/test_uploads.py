"""The upload size guard: oversized files are dropped before they are stored, CSRF still holds."""

from __future__ import annotations

import pytest
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.http import HttpRequest, JsonResponse
from django.test import Client
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from core.uploads import (
    FORM_ALLOWANCE_BYTES,
    image_too_large_error,
    upload_limited,
    upload_too_large,
)


def _answer(request: HttpRequest) -> JsonResponse:
    upload = request.FILES.get("image")
    return JsonResponse(
        {
            "too_large": upload_too_large(request),
            "file_size": upload.size if upload else None,
            "caption": request.POST.get("caption"),
        }
    )


@upload_limited
def guarded(request: HttpRequest) -> JsonResponse:
    return _answer(request)


@upload_limited(max_bytes=100)
def guarded_tiny(request: HttpRequest) -> JsonResponse:
    return _answer(request)


@upload_limited
@csrf_exempt
def guarded_exempt(request: HttpRequest) -> JsonResponse:
    return _answer(request)


urlpatterns = [
    path("upload/", guarded),
    path("upload-tiny/", guarded_tiny),
    path("upload-exempt/", guarded_exempt),
]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]

LIMIT = 4096


@pytest.fixture(autouse=True)
def _small_limit(settings) -> None:
    settings.PASSAPAROLA_IMAGE_MAX_BYTES = LIMIT


@pytest.fixture
def stored_chunks(monkeypatch) -> list[int]:
    """Sizes of the chunks that reached the handler that keeps uploads in memory."""
    seen: list[int] = []
    original = MemoryFileUploadHandler.receive_data_chunk

    def spy(self, raw_data: bytes, start: int):
        seen.append(len(raw_data))
        return original(self, raw_data, start)

    monkeypatch.setattr(MemoryFileUploadHandler, "receive_data_chunk", spy)
    return seen


def _post(client: Client, url: str, size: int, **extra: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {**extra, "caption": "Sunset", "image": SimpleUploadedFile("a.jpg", b"x" * size)}
    return client.post(url, data)


def test_upload_under_the_limit_arrives(client: Client) -> None:
    response = _post(client, "/upload/", LIMIT)

    assert response.json() == {"too_large": False, "file_size": LIMIT, "caption": "Sunset"}


def test_body_over_the_limit_drops_the_file_unread_and_keeps_the_fields(
    client: Client, stored_chunks: list[int]
) -> None:
    response = _post(client, "/upload/", LIMIT + FORM_ALLOWANCE_BYTES + 1)

    assert response.json() == {"too_large": True, "file_size": None, "caption": "Sunset"}
    assert stored_chunks == []


def test_file_over_the_limit_is_dropped_while_parsing(client: Client) -> None:
    response = _post(client, "/upload/", LIMIT + 1)

    assert response.json() == {"too_large": True, "file_size": None, "caption": "Sunset"}


def test_the_limit_can_be_narrowed_per_view(client: Client) -> None:
    assert _post(client, "/upload-tiny/", 100).json()["too_large"] is False
    assert _post(client, "/upload-tiny/", 101).json()["too_large"] is True


def test_csrf_is_still_enforced() -> None:
    client = Client(enforce_csrf_checks=True)

    assert _post(client, "/upload/", 10).status_code == 403


def test_csrf_token_in_the_form_still_works_when_the_file_is_too_large() -> None:
    client = Client(enforce_csrf_checks=True)
    token = "a" * 32
    client.cookies["csrftoken"] = token

    response = _post(
        client, "/upload/", LIMIT + FORM_ALLOWANCE_BYTES + 1, csrfmiddlewaretoken=token
    )

    assert response.status_code == 200
    assert response.json()["too_large"] is True


def test_exempt_views_stay_exempt() -> None:
    client = Client(enforce_csrf_checks=True)

    assert _post(client, "/upload-exempt/", 10).json()["file_size"] == 10


def test_get_is_untouched(client: Client) -> None:
    assert client.get("/upload/").json()["too_large"] is False


def test_the_refusal_matches_image_clean() -> None:
    error = image_too_large_error(15 * 1024 * 1024)

    assert error.code == "file_too_large"
    assert "15 MB" in str(error.message)
