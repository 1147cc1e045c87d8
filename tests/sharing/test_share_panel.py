"""The share panel on the entry page (its author only) and the QR code download."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, unquote, urlparse

import pytest
from django.test import Client, RequestFactory

from sharing.clicks import clicks_derive
from sharing.links import qr_svg, share_panel_get
from sharing.models import Referral, ShareLink
from submissions.models import Submission
from tests.factories import MembershipFactory, StaffFactory, SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


class _Panel(HTMLParser):
    """Collects the panel's links, buttons, scripts and inline styles."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str]] = []
        self.buttons: list[dict[str, str]] = []
        self.scripts: list[dict[str, str]] = []
        self.inline_styles = 0

    def handle_starttag(self, tag, attrs) -> None:
        values = {k: v or "" for k, v in attrs}
        if "style" in values or tag == "style":
            self.inline_styles += 1
        if tag == "a":
            self.links.append(values)
        elif tag == "button":
            self.buttons.append(values)
        elif tag == "script":
            self.scripts.append(values)


def _panel_html(page: str) -> str:
    match = re.search(
        r'<link rel="stylesheet" href="/static/css/share.css">.*?</script>', page, re.S
    )
    assert match, "no share panel"
    return match.group(0)


def _page(user, entry) -> str:
    client = Client()
    if user is not None:
        client.force_login(user)
    response = client.get(f"/entries/{entry.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_author_sees_their_link_buttons_and_qr_code(entry, author) -> None:
    page = _page(author, entry)

    link = ShareLink.objects.get(submission=entry, owner=author)
    personal = f"http://testserver/s/{link.code}"
    panel = _panel_html(page)
    assert f'value="{personal}"' in panel
    parsed = _Panel()
    parsed.feed(panel)
    networks = {
        "x.com": "x",
        "www.facebook.com": "facebook",
        "www.linkedin.com": "linkedin",
        "wa.me": "whatsapp",
        "t.me": "telegram",
    }
    shares = [a for a in parsed.links if urlparse(a["href"]).netloc in networks]
    assert len(shares) == len(networks)
    for anchor in shares:
        url = urlparse(anchor["href"])
        channel = networks[url.netloc]
        assert f"{personal}?c={channel}" in unquote(url.query)
        assert anchor["target"] == "_blank"
        assert set(anchor["rel"].split()) == {"noopener", "noreferrer"}
    email = next(a for a in parsed.links if a["href"].startswith("mailto:"))
    assert f"{personal}?c=email" in parse_qs(urlparse(email["href"]).query)["body"][0]
    copy = next(b for b in parsed.buttons if "data-share-copy" in b)
    native = next(b for b in parsed.buttons if "data-share-native" in b)
    assert copy["data-share-url"] == f"{personal}?c=copy"
    assert native["data-share-url"] == f"{personal}?c=native"
    # Revealed by share.js where the browser supports them.
    assert "hidden" in copy
    assert "hidden" in native
    assert '<svg class="share-qr__code" role="img"' in panel
    assert f"/s/{link.code}/qr.svg" in panel
    # No inline JavaScript or CSS.
    assert parsed.scripts == [{"src": "/static/js/share.js", "defer": ""}]
    assert parsed.inline_styles == 0
    assert not re.search(r"\son[a-z]+=", panel)


@pytest.mark.parametrize("who", ["anonymous", "participant", "brand", "staff"])
def test_nobody_else_sees_the_panel(entry, who) -> None:
    user = {
        "anonymous": lambda: None,
        "participant": UserFactory,
        "brand": lambda: MembershipFactory(brand=entry.campaign.brand).user,
        "staff": StaffFactory,
    }[who]()

    page = _page(user, entry)

    assert "share-panel" not in page
    assert "share.js" not in page
    assert "/s/" not in page
    assert not ShareLink.objects.exists()


def test_an_entry_waiting_for_review_is_not_shareable_yet(campaign, author) -> None:
    campaign.moderation_mode = "pre"
    campaign.save()
    entry = SubmissionFactory(campaign=campaign, author=author, state=Submission.State.PENDING)

    panel = _panel_html(_page(author, entry))

    assert "once it is published" in panel
    assert "/s/" not in panel
    assert not ShareLink.objects.exists()


def test_the_panel_shows_counted_clicks_per_channel_and_referrals(entry, author, link) -> None:
    visitor = Client()
    for address, channel in (
        ("192.0.2.1", "whatsapp"),
        ("192.0.2.2", "whatsapp"),
        ("192.0.2.3", "qr"),
    ):
        visitor.get(
            f"/s/{link.code}?c={channel}", headers={"User-Agent": BROWSER}, REMOTE_ADDR=address
        )
    visitor.get(f"/s/{link.code}", headers={"User-Agent": "Slackbot 1.0"})
    clicks_derive()
    Referral.objects.create(link=link, referred=UserFactory(), arrived_at=link.created_at)

    panel = _panel_html(_page(author, entry))

    assert "3 counted visits" in panel
    assert re.search(r"<th scope=\"row\">WhatsApp</th><td>2</td>", panel)
    assert re.search(r"<th scope=\"row\">QR code</th><td>1</td>", panel)
    assert "1 person signed up through your link" in panel
    assert "0 verified their email" in panel


def test_the_panel_costs_a_fixed_number_of_queries(entry, author, link, django_assert_num_queries):
    request = RequestFactory().get(f"/entries/{entry.pk}/")
    request.user = author
    entry.is_public = True

    with django_assert_num_queries(4):  # the link, then links, clicks, referrals
        panel = share_panel_get(request=request, submission=entry)

    assert panel.shareable


# --- The QR code file -----------------------------------------------------------------------


def test_the_qr_code_downloads_as_an_inert_svg(link) -> None:
    response = Client().get(f"/s/{link.code}/qr.svg")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Content-Disposition"] == f'attachment; filename="passaparola-{link.code}.svg"'
    body = response.content.decode()
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<svg')
    assert body.endswith(qr_svg(f"http://testserver/s/{link.code}?c=qr"))
    assert "<script" not in body


def test_the_qr_code_of_an_unknown_link_is_a_404() -> None:
    assert Client().get("/s/Unknown0000/qr.svg").status_code == 404


def test_downloading_the_qr_code_is_not_a_hit(link) -> None:
    Client().get(f"/s/{link.code}/qr.svg")

    assert not link.hits.exists()
