"""Helpers for API tests: the one error shape, and multipart photos."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from tests import imagefiles


def error_of(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert an error answer in the API's one shape, and return its `error` object."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["fields"], dict)
    if code is not None:
        assert error["code"] == code, error
    return error


def photo_file(data: bytes | None = None, name: str = "photo.jpg") -> SimpleUploadedFile:
    content = imagefiles.jpeg_bytes(size=(64, 48)) if data is None else data
    return SimpleUploadedFile(name, content, content_type="image/jpeg")
