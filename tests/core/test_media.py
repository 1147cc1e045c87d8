"""Media responses carry headers that keep stored files inert."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.http import Http404
from django.test import RequestFactory

from core.media import media_serve
from tests import imagefiles


def _store(name: str, data: bytes) -> None:
    target = Path(settings.MEDIA_ROOT) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


@pytest.mark.parametrize(
    ("name", "content_type"),
    [("a/photo.jpg", "image/jpeg"), ("a/t.webp", "image/webp"), ("a/s.png", "image/png")],
)
def test_images_are_served_inline_with_protective_headers(name: str, content_type: str) -> None:
    _store(name, imagefiles.jpeg_bytes())

    response = media_serve(RequestFactory().get(f"/media/{name}"), name)

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; img-src 'self'; sandbox"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["Content-Disposition"] == "inline"


@pytest.mark.parametrize("name", ["x/page.html", "x/drawing.svg", "x/noext"])
def test_anything_else_downloads_as_bytes(name: str) -> None:
    _store(name, b"<script>alert(1)</script>")

    response = media_serve(RequestFactory().get(f"/media/{name}"), name)

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == "attachment"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.parametrize("name", ["../settings.py", "missing.jpg", "a/"])
def test_outside_missing_or_folders_are_404(name: str) -> None:
    _store("a/photo.jpg", b"x")

    with pytest.raises(Http404):
        media_serve(RequestFactory().get("/media/x"), name)


def test_only_safe_methods() -> None:
    _store("a/photo.jpg", b"x")

    assert (
        media_serve(RequestFactory().post("/media/a/photo.jpg"), "a/photo.jpg").status_code == 405
    )
