"""Helpers for entry tests: photos to upload and what is on disk."""

from __future__ import annotations

import io
from pathlib import Path

from django.conf import settings

from tests import imagefiles


def stored_files() -> list[str]:
    """Every file under MEDIA_ROOT, relative to it."""
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return []
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def photo(data: bytes | None = None) -> io.BytesIO:
    return io.BytesIO(imagefiles.jpeg_bytes(size=(64, 48)) if data is None else data)
