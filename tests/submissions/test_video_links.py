"""Video links: the shapes people paste are understood, anything else is refused."""

from __future__ import annotations

import pytest

from core.exceptions import ApplicationError
from submissions.video import video_embed_url, video_link_parse, video_parse

YT = "dQw4w9WgXcQ"


@pytest.mark.parametrize(
    ("url", "provider", "video_id"),
    [
        (f"https://www.youtube.com/watch?v={YT}", "youtube", YT),
        (f"https://youtube.com/watch?v={YT}&t=42s", "youtube", YT),
        (f"https://m.youtube.com/watch?feature=share&v={YT}", "youtube", YT),
        (f"https://youtu.be/{YT}", "youtube", YT),
        (f"https://youtu.be/{YT}?si=AbCdEf", "youtube", YT),
        (f"https://www.youtube.com/shorts/{YT}", "youtube", YT),
        (f"https://www.youtube.com/embed/{YT}", "youtube", YT),
        (f"https://www.youtube.com/live/{YT}", "youtube", YT),
        (f"  https://WWW.YOUTUBE.COM/watch?v={YT}  ", "youtube", YT),
        ("https://vimeo.com/76979871", "vimeo", "76979871"),
        ("https://www.vimeo.com/76979871/", "vimeo", "76979871"),
        ("https://player.vimeo.com/video/76979871", "vimeo", "76979871"),
        (
            "https://www.tiktok.com/@scout2015/video/6718335390845095173",
            "tiktok",
            "6718335390845095173",
        ),
        (
            "https://m.tiktok.com/@some.user_1/video/6718335390845095173?lang=it",
            "tiktok",
            "6718335390845095173",
        ),
    ],
)
def test_common_link_shapes_are_understood(url: str, provider: str, video_id: str) -> None:
    assert video_parse(url) == (provider, video_id)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "dQw4w9WgXcQ",
        f"http://www.youtube.com/watch?v={YT}",  # not https
        f"//www.youtube.com/watch?v={YT}",
        f"https://www.youtube.com.evil.example/watch?v={YT}",
        f"https://evil.example/?u=https://www.youtube.com/watch?v={YT}",
        f"https://www.youtube.com@evil.example/watch?v={YT}",
        f"https://user:pass@www.youtube.com/watch?v={YT}",
        f"https://www.youtube.com:8443/watch?v={YT}",
        "https://www.youtube.com/watch?v=dQw4w9WgXc",  # 10 characters
        "https://www.youtube.com/watch?v=dQw4w9WgXcQQ",  # 12 characters
        f"https://www.youtube.com/watch?v={YT}&v=aaaaaaaaaaa",
        "https://www.youtube.com/watch?v=dQw4w9WgX%22",
        "https://www.youtube.com/watch?v=<script>al",
        "https://www.youtube.com/channel/UC38IQsAvIsxxjztdMZQtwHA",
        "https://www.youtube.com/",
        f"https://youtu.be/{YT}/extra",
        "https://vimeo.com/channels/staffpicks",
        "https://vimeo.com/0123",
        "https://vimeo.com/76979871/abcdef12",
        "https://player.vimeo.com/76979871",
        "https://www.tiktok.com/@user/video/abc",
        "https://www.tiktok.com/video/6718335390845095173",
        "https://www.tiktok.com/@us<er/video/6718335390845095173",
        "https://vm.tiktok.com/ZMabcdef/",
        f"javascript://www.youtube.com/watch?v={YT}",
        f"https://www.youtube.com/watch?v={YT} extra",
        "https://[::1/watch",
        "https://www.youtube.com/watch?v=" + "a" * 3000,
    ],
)
def test_anything_else_is_refused(url: str) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        video_parse(url)

    assert excinfo.value.code == "unsupported_video"
    assert "video_url" in excinfo.value.fields


@pytest.mark.parametrize(
    ("url", "plain"),
    [
        (f"https://youtu.be/{YT}?si=x", f"https://www.youtube.com/watch?v={YT}"),
        ("https://player.vimeo.com/video/76979871", "https://vimeo.com/76979871"),
        (
            "https://m.tiktok.com/@user/video/6718335390845095173?is_from_webapp=1",
            "https://www.tiktok.com/@user/video/6718335390845095173",
        ),
    ],
)
def test_stored_address_is_plain(url: str, plain: str) -> None:
    assert video_link_parse(url).url == plain


@pytest.mark.parametrize(
    ("provider", "video_id", "embed"),
    [
        ("youtube", YT, f"https://www.youtube-nocookie.com/embed/{YT}"),
        ("vimeo", "76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
        ("tiktok", "6718335390845095173", "https://www.tiktok.com/embed/v2/6718335390845095173"),
    ],
)
def test_embeds_are_privacy_friendly(provider: str, video_id: str, embed: str) -> None:
    assert video_embed_url(provider, video_id) == embed
