"""A corpus of requests to a share link: every one lands on the entry page on our own host, and
derivation counts exactly the clicks fair play allows (once per visitor per link per day; no
HEAD, prefetch, bot, preview or owner clicks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, timedelta
from itertools import count

import pytest
from django.db.models import Sum
from django.test import Client, RequestFactory
from django.utils import timezone

from sharing.clicks import clicks_derive, is_bot, share_hit_record
from sharing.links import share_target_get
from sharing.models import PointEvent, ShareClick, ShareHit, Standing
from submissions.models import Submission
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
# Real browsers whose User-Agent contains "bot" inside a word: must not be taken for bots.
CUBOT_PHONE = (
    "Mozilla/5.0 (Linux; Android 10; CUBOT_X30) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)
IN_APP_INSTAGRAM = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Mobile/15E148 Instagram 330.0.3.31.92 (iPhone14,5; iOS 17_4; en_US; en; "
    "scale=3.00; 1170x2532; 606149262)"
)

PREVIEW_BOTS = {
    "slack": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "slack-imgproxy": "Slack-ImgProxy (+https://api.slack.com/robots)",
    "facebook": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "facebot": "Facebot",
    "twitter": "Twitterbot/1.0",
    "telegram": "TelegramBot (like TwitterBot)",
    "whatsapp": "WhatsApp/2.23.20.0 A",
    "discord": "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "linkedin": "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "mastodon": "http.rb/5.1.1 (Mastodon/4.2.0; +https://mastodon.social/)",
    "pleroma": "Pleroma 2.5.2; https://pleroma.example <admin@pleroma.example>",
    "misskey": "Misskey/13.14.2 (https://misskey.example)",
    "googlebot": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "bingbot": "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "applebot": (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)"
    ),
    "duckduckbot": "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
    "yandex": "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "baidu": "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "embedly": "Mozilla/5.0 (compatible; Embedly/0.2; +http://support.embed.ly/)",
    "iframely": "Iframely/1.3.1 (+https://iframely.com/docs/about)",
    "skype": (
        "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 "
        "skype-url-preview@microsoft.com"
    ),
    "reddit": "Mozilla/5.0 (compatible; redditbot/1.0; +http://www.reddit.com/feedback)",
    "pinterest": "Pinterest/0.2 (+http://www.pinterest.com/)",
    "curl": "curl/8.5.0",
    "wget": "Wget/1.21.4",
    "python-requests": "python-requests/2.32.3",
    "go": "Go-http-client/2.0",
    "headless-chrome": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/126.0.0.0 Safari/537.36"
    ),
    "gptbot": "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2)",
}


@dataclass
class Corpus:
    """Sends requests through the real URL, each from its own address unless told otherwise."""

    client: Client
    path: str
    entry_path: str
    addresses: count = field(default_factory=lambda: count(1))
    responses: list = field(default_factory=list)

    def address(self) -> str:
        return f"198.51.100.{next(self.addresses)}"

    def send(
        self,
        *,
        method: str = "get",
        path: str | None = None,
        ua: str | None = BROWSER,
        address: str | None = None,
        client: Client | None = None,
        **headers: str,
    ):
        if ua is not None:
            headers["User-Agent"] = ua
        response = getattr(client or self.client, method)(
            path or self.path, headers=headers, REMOTE_ADDR=address or self.address()
        )
        self.responses.append(response)
        return response


def _lands_on_entry(response, entry_path: str) -> bool:
    location = response["Location"]
    on_our_host = location.startswith("/") and not location.startswith("//")
    on_our_host = on_our_host or location.startswith("http://testserver/")
    return response.status_code == 302 and on_our_host and location.endswith(entry_path)


@pytest.fixture
def corpus(link, entry) -> Corpus:
    return Corpus(Client(), f"/s/{link.code}", f"/entries/{entry.pk}/")


def _points(user) -> int:
    return PointEvent.objects.filter(participant=user).aggregate(t=Sum("points"))["t"] or 0


def _verdicts() -> dict[str, int]:
    found: dict[str, int] = {}
    for verdict in ShareHit.objects.values_list("verdict", flat=True):
        found[verdict] = found.get(verdict, 0) + 1
    return found


# --- The whole corpus at once -----------------------------------------------------------------


def test_corpus_counts_exactly_the_fair_clicks(corpus, link, entry, author, campaign) -> None:
    Verdict = ShareHit.Verdict
    expected: dict[str, int] = {}

    def expect(verdict: str, n: int = 1) -> None:
        expected[verdict] = expected.get(verdict, 0) + n

    # Real people: counted once each (a signed-in member too, and the phone model "CUBOT").
    alice = corpus.address()
    corpus.send(address=alice)
    expect(Verdict.COUNTED)
    for channel in ("whatsapp", "x", "qr"):  # the same person again today, from any channel
        corpus.send(path=f"{corpus.path}?c={channel}", address=alice)
        expect(Verdict.REPEAT)
    corpus.send(ua=IPHONE)
    corpus.send(ua=CUBOT_PHONE)
    corpus.send(ua=IN_APP_INSTAGRAM)
    expect(Verdict.COUNTED, 3)
    member = Client()
    member.force_login(UserFactory())
    corpus.send(client=member)
    expect(Verdict.COUNTED)
    # The same browser and network with another User-Agent is another visitor.
    corpus.send(address=alice, ua=IPHONE)
    expect(Verdict.COUNTED)

    # Never counted.
    corpus.send(method="head")
    corpus.send(method="head", ua=IPHONE)
    expect(Verdict.HEAD, 2)
    for name, value in (
        ("Sec-Purpose", "prefetch"),
        ("Sec-Purpose", "prefetch;prerender"),
        ("Sec-Purpose", "prefetch;anonymous-client-ip"),
        ("Purpose", "prefetch"),
        ("Purpose", "prefetch;prerender"),
        ("X-Moz", "prefetch"),
        ("X-Purpose", "preview"),
    ):
        corpus.send(**{name: value})
        expect(Verdict.PREFETCH)
    for ua in PREVIEW_BOTS.values():
        corpus.send(ua=ua)
        expect(Verdict.BOT)
    corpus.send(ua="")
    corpus.send(ua=None)  # no User-Agent header at all
    expect(Verdict.BOT, 2)
    owner = Client()
    owner.force_login(author)
    corpus.send(client=owner)
    corpus.send(client=owner, ua=IPHONE)
    expect(Verdict.OWNER, 2)

    # Open-redirect tricks: each from a new person (so counted once), each still lands home.
    tricks = [
        "?next=//evil.example",
        "?url=https://evil.example/",
        "?redirect=https%3A%2F%2Fevil.example",
        "?c=%0d%0aLocation:%20https://evil.example",
        "?c=https://evil.example",
        "?c=x&c=//evil.example",
        "/",
        "//evil.example",
        "//evil.example/path",
        "/%2F%2Fevil.example",
        "/..%2F..%2Fadmin",
        "/https://evil.example",
        "%0d%0aLocation:%20https://evil.example",
        ".",
        ")",
        "/qr",
    ]
    for trick in tricks:
        corpus.send(path=corpus.path + trick)
        expect(Verdict.COUNTED)

    for response in corpus.responses:
        assert _lands_on_entry(response, corpus.entry_path), (
            response.status_code,
            response.get("Location"),
        )
        assert response["Location"] == corpus.entry_path
        assert "evil" not in response.serialize_headers().decode()
    assert ShareHit.objects.count() == len(corpus.responses)
    assert ShareHit.objects.filter(derived_at__isnull=True).count() == len(corpus.responses)

    derived = clicks_derive()

    assert derived == len(corpus.responses)
    assert _verdicts() == expected
    counted = expected[Verdict.COUNTED]
    assert ShareClick.objects.filter(link=link).count() == counted
    assert _points(author) == counted * campaign.points_click
    assert Standing.objects.get(campaign=campaign, participant=author).points == _points(author)


def test_deriving_again_changes_nothing(corpus, author) -> None:
    for _ in range(3):
        corpus.send()
    corpus.send(method="head")
    corpus.send(ua=PREVIEW_BOTS["slack"])
    clicks_derive()
    before = (
        sorted(ShareHit.objects.values_list("id", "verdict", "derived_at")),
        sorted(ShareClick.objects.values_list("id", "hit_id")),
        sorted(PointEvent.objects.values_list("id", "key", "points")),
        _points(author),
    )

    assert clicks_derive() == 0
    # Even a replay of hits already derived (as if their marks were lost) adds nothing.
    ShareHit.objects.update(derived_at=None, verdict="")
    assert clicks_derive() == 5
    assert clicks_derive() == 0

    after = (
        sorted(ShareHit.objects.values_list("id", "verdict", "derived_at")),
        sorted(ShareClick.objects.values_list("id", "hit_id")),
        sorted(PointEvent.objects.values_list("id", "key", "points")),
        _points(author),
    )
    assert [row[:2] for row in after[0]] == [row[:2] for row in before[0]]
    assert after[1:] == before[1:]


# --- One visitor over two days, through the recording function with a given `now` -----------


def _hit_at(request_factory: RequestFactory, link, moment, **headers) -> ShareHit:
    request = request_factory.get(
        f"/s/{link.code}", headers={"User-Agent": BROWSER, **headers}, REMOTE_ADDR="192.0.2.10"
    )
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    hit = share_hit_record(request=request, target=share_target_get(code=link.code), now=moment)
    # The hit is stamped with the moment the request came, as stored.
    assert ShareHit.objects.get(pk=hit.pk).created_at == moment == hit.created_at
    return hit


def test_the_same_visitor_counts_again_the_next_utc_day(link, author, campaign) -> None:
    factory = RequestFactory()
    day_one = campaign.starts_at + timedelta(hours=1)

    first = _hit_at(factory, link, day_one)
    again = _hit_at(factory, link, day_one + timedelta(hours=1))
    next_day = _hit_at(factory, link, day_one + timedelta(days=1))
    clicks_derive()

    verdicts = dict(ShareHit.objects.values_list("id", "verdict"))
    assert verdicts == {first.pk: "counted", again.pk: "repeat", next_day.pk: "counted"}
    assert first.visitor == again.visitor
    assert first.visitor != next_day.visitor  # a daily pseudonym: days cannot be linked
    assert ShareClick.objects.count() == 2
    assert _points(author) == 2 * campaign.points_click


def test_clicks_outside_the_open_campaign_count_but_earn_no_points(link, author, campaign) -> None:
    factory = RequestFactory()
    _hit_at(factory, link, campaign.ends_at + timedelta(hours=1))

    clicks_derive()

    assert ShareClick.objects.count() == 1
    assert _points(author) == 0


# --- Each kind on its own (clear failures) ----------------------------------------------------


@pytest.mark.parametrize("ua", PREVIEW_BOTS.values(), ids=PREVIEW_BOTS.keys())
def test_each_preview_bot_is_a_bot(ua: str) -> None:
    assert is_bot(ua)


@pytest.mark.parametrize("ua", [BROWSER, IPHONE, CUBOT_PHONE, IN_APP_INSTAGRAM])
def test_real_browsers_are_not_bots(ua: str) -> None:
    assert not is_bot(ua)


@pytest.mark.parametrize(
    ("headers", "verdict"),
    [
        ({"Sec-Purpose": "prefetch"}, "prefetch"),
        ({"Sec-Purpose": "prefetch;prerender"}, "prefetch"),
        ({"Purpose": "prefetch"}, "prefetch"),
        ({"Purpose": "prefetch;prerender"}, "prefetch"),
        ({"User-Agent": ""}, "bot"),
        ({}, "counted"),
    ],
)
def test_one_request_one_verdict(corpus, headers, verdict) -> None:
    ua = headers.pop("User-Agent", BROWSER)
    response = corpus.send(ua=ua, **headers)
    clicks_derive()

    assert response.status_code == 302
    assert ShareHit.objects.get().verdict == verdict


def test_head_answers_the_same_redirect_and_is_recorded(corpus) -> None:
    response = corpus.send(method="head")

    assert response.status_code == 302
    assert response["Location"] == corpus.entry_path
    hit = ShareHit.objects.get()
    assert hit.method == "HEAD"


def test_the_owner_signed_in_or_not(corpus, author) -> None:
    owner = Client()
    owner.force_login(author)
    corpus.send(client=owner)
    corpus.send()  # anonymous: a visitor like any other
    clicks_derive()

    assert sorted(ShareHit.objects.values_list("verdict", flat=True)) == ["counted", "owner"]
    assert ShareHit.objects.get(verdict="owner").user == author


def test_a_signed_in_visitor_is_recorded_as_such(corpus) -> None:
    member = UserFactory()
    client = Client()
    client.force_login(member)
    corpus.send(client=client)

    assert ShareHit.objects.get().user == member


def test_the_channel_is_taken_only_from_the_known_tags(corpus) -> None:
    for tag in ("whatsapp", "qr", "native", "WHATSAPP", "evil", "", "x" * 100):
        corpus.send(path=f"{corpus.path}?c={tag}")

    assert list(ShareHit.objects.order_by("id").values_list("channel", flat=True)) == [
        "whatsapp",
        "qr",
        "native",
        "direct",
        "direct",
        "direct",
        "direct",
    ]


def test_an_unknown_code_is_a_404_and_records_nothing(client) -> None:
    for path in ("/s/doesnotexist", "/s/AAAAAAAAAA", "/s/%0d%0a", "/s/a"):
        assert client.get(path).status_code == 404
    assert ShareHit.objects.count() == 0


def test_other_methods_are_refused(corpus) -> None:
    response = corpus.client.post(corpus.path)

    assert response.status_code == 405
    assert ShareHit.objects.count() == 0


# --- Privacy -----------------------------------------------------------------------------------


def test_no_ip_address_is_stored_anywhere_in_a_hit(link, author) -> None:
    client = Client()
    for address in ("203.0.113.77", "2001:db8:85a3::8a2e:370:7334"):
        client.get(f"/s/{link.code}", headers={"User-Agent": BROWSER}, REMOTE_ADDR=address)
        client.get(
            f"/s/{link.code}",
            headers={"User-Agent": BROWSER, "X-Forwarded-For": address},
            REMOTE_ADDR="10.0.0.1",
        )
    clicks_derive()

    tokens = ("203.0.113.77", "203.0.113", "2001:db8", "8a2e:370:7334", "10.0.0.1")
    for model in (ShareHit, ShareClick, PointEvent):
        for row in model.objects.values():
            for column, value in row.items():
                for token in tokens:
                    assert token not in str(value), (model.__name__, column)


def test_the_visitor_is_a_keyed_hash_not_a_plain_one(link) -> None:
    import hashlib

    Client().get(f"/s/{link.code}", headers={"User-Agent": BROWSER}, REMOTE_ADDR="203.0.113.5")
    visitor = ShareHit.objects.get().visitor
    day = timezone.now().astimezone(UTC).date().isoformat()

    assert len(visitor) == 64
    for message in (
        "203.0.113.5",
        f"203.0.113.5{BROWSER}",
        f"{day}|203.0.113.5|{BROWSER}",
    ):
        assert hashlib.sha256(message.encode()).hexdigest() != visitor


def test_ipv6_visitors_are_one_person_across_their_rotating_addresses(link) -> None:
    client = Client()
    for address in ("2001:db8:1:2::aaaa", "2001:db8:1:2:ffff:1:2:3"):
        client.get(f"/s/{link.code}", headers={"User-Agent": BROWSER}, REMOTE_ADDR=address)
    clicks_derive()

    assert sorted(ShareHit.objects.values_list("verdict", flat=True)) == ["counted", "repeat"]


@pytest.mark.parametrize(
    ("state", "mode", "counts"),
    [
        ("approved", "pre", True),
        ("pending", "post", True),  # public while it waits under post-moderation
        ("pending", "pre", False),
        ("hidden", "pre", False),
        ("rejected", "post", False),
    ],
)
def test_clicks_on_an_entry_that_is_not_public_are_kept_but_never_count(
    client, link, entry, author, campaign, state, mode, counts
) -> None:
    campaign.moderation_mode = mode
    campaign.save(update_fields=["moderation_mode"])
    Submission.objects.filter(pk=entry.pk).update(state=state)

    response = client.get(f"/s/{link.code}", headers={"User-Agent": BROWSER})
    assert response.status_code == 302
    clicks_derive()

    hit = ShareHit.objects.get()
    assert hit.verdict == ("counted" if counts else "unavailable")
    assert ShareClick.objects.count() == (1 if counts else 0)
    assert _points(author) == (campaign.points_click if counts else 0)
