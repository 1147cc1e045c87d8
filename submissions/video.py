"""Video links: which hosts we accept, how their links look, and privacy-friendly embeds.

Only https links of YouTube, Vimeo and TikTok are accepted, in the shapes people copy from an
app or a browser; the video id must match the host's own pattern exactly, so nothing typed in
a link ever reaches an embed address unchecked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError

YOUTUBE = "youtube"
VIMEO = "vimeo"
TIKTOK = "tiktok"

MAX_URL_LENGTH = 2000

_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_VIMEO_ID = re.compile(r"[1-9][0-9]{0,11}")
_TIKTOK_ID = re.compile(r"[0-9]{8,25}")
_TIKTOK_USER = re.compile(r"@[A-Za-z0-9_.]{1,64}")

_YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com"}
_YOUTUBE_PATH_PREFIXES = ("shorts", "embed", "live", "v")
_VIMEO_HOSTS = {"vimeo.com", "www.vimeo.com"}
_TIKTOK_HOSTS = {"tiktok.com", "www.tiktok.com", "m.tiktok.com"}


def _unsupported() -> ApplicationError:
    message = _("Paste the https link of a YouTube, Vimeo or TikTok video.")
    return ApplicationError(message, code="unsupported_video", fields={"video_url": [message]})


def _full(pattern: re.Pattern[str], value: str) -> str:
    if not pattern.fullmatch(value):
        raise _unsupported()
    return value


@dataclass(frozen=True)
class VideoLink:
    provider: str
    video_id: str
    url: str  # the plain public address, without tracking parameters: what we store


def video_parse(url: str) -> tuple[str, str]:
    """The host (`youtube`, `vimeo`, `tiktok`) and video id of a link; ApplicationError if not."""
    link = video_link_parse(url)
    return link.provider, link.video_id


def video_link_parse(url: str) -> VideoLink:
    """Check a video link and give its host, id and plain address; ApplicationError if not.

    Accepted: youtube.com/watch?v=ID (www., m.), youtube.com/shorts|embed|live/ID, youtu.be/ID,
    vimeo.com/123, player.vimeo.com/video/123, tiktok.com/@user/video/123 (www., m.).
    """
    url = (url or "").strip()
    if not url or len(url) > MAX_URL_LENGTH or any(c.isspace() for c in url):
        raise _unsupported()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _unsupported() from None
    if parts.scheme.lower() != "https" or parts.username or parts.password or port is not None:
        raise _unsupported()
    host = (parts.hostname or "").lower()
    segments = [segment for segment in parts.path.split("/") if segment]

    if host in _YOUTUBE_HOSTS:
        if segments == ["watch"]:
            ids = parse_qs(parts.query).get("v", [])
            if len(ids) != 1:
                raise _unsupported()
            return _youtube(ids[0])
        if len(segments) == 2 and segments[0] in _YOUTUBE_PATH_PREFIXES:
            return _youtube(segments[1])
        raise _unsupported()
    if host == "youtu.be":
        if len(segments) == 1:
            return _youtube(segments[0])
        raise _unsupported()
    if host in _VIMEO_HOSTS:
        if len(segments) == 1:
            return _vimeo(segments[0])
        raise _unsupported()
    if host == "player.vimeo.com":
        if len(segments) == 2 and segments[0] == "video":
            return _vimeo(segments[1])
        raise _unsupported()
    if host in _TIKTOK_HOSTS:
        if len(segments) == 3 and segments[1] == "video":
            user = _full(_TIKTOK_USER, segments[0])
            video_id = _full(_TIKTOK_ID, segments[2])
            return VideoLink(TIKTOK, video_id, f"https://www.tiktok.com/{user}/video/{video_id}")
        raise _unsupported()
    raise _unsupported()


def _youtube(video_id: str) -> VideoLink:
    video_id = _full(_YOUTUBE_ID, video_id)
    return VideoLink(YOUTUBE, video_id, f"https://www.youtube.com/watch?v={video_id}")


def _vimeo(video_id: str) -> VideoLink:
    video_id = _full(_VIMEO_ID, video_id)
    return VideoLink(VIMEO, video_id, f"https://vimeo.com/{video_id}")


def video_embed_url(provider: str, video_id: str) -> str:
    """The address for an <iframe>: no tracking cookies before the visitor presses play."""
    if provider == YOUTUBE:
        return f"https://www.youtube-nocookie.com/embed/{video_id}"
    if provider == VIMEO:
        return f"https://player.vimeo.com/video/{video_id}?dnt=1"
    if provider == TIKTOK:
        return f"https://www.tiktok.com/embed/v2/{video_id}"
    raise ValueError(provider)
