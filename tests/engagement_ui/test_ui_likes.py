"""Liking through the doors: the page's form (no JavaScript), the API, and what pages show."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from campaigns.models import Campaign
from submissions.api import LikeSerializer, like_data
from submissions.models import Like, Submission
from tests.factories import CampaignFactory, LikeFactory, SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db


def _like_url(entry: Submission) -> str:
    return reverse("entry-like", args=[entry.pk])


def _api_url(entry: Submission) -> str:
    return f"/api/v1/submissions/{entry.pk}/like/"


def _api(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _live_likes(entry: Submission) -> int:
    return Like.objects.filter(submission=entry, removed_at__isnull=True).count()


def _messages(response) -> str:
    body = response.content.decode()
    return html.unescape(body.split('class="messages')[1].split("</div>\n\n")[0])


def _buttons(body: str) -> dict[int, str]:
    """The like buttons of a page: entry id -> aria-pressed."""
    found = {}
    for form in re.findall(r'<form class="like__form".*?</form>', body, re.S):
        entry_id = int(re.search(r"/entries/(\d+)/like/", form).group(1))
        found[entry_id] = re.search(r'aria-pressed="(true|false)"', form).group(1)
    return found


# --- The page's form, without JavaScript -----------------------------------------------------


def test_liking_through_the_form_comes_back_to_the_button(signed_in, campaign, entry, fan):
    client = signed_in(fan)
    back = reverse("campaign-detail", args=[campaign.slug]) + "?order=most_liked"

    response = client.post(_like_url(entry), {"next": back})

    assert response.status_code == 302
    assert response["Location"] == f"{back}#like-{entry.pk}"
    assert _live_likes(entry) == 1
    page = client.get(back)
    assert "You like this entry." in _messages(page)
    assert _buttons(page.content.decode())[entry.pk] == "true"


def test_unliking_through_the_form(signed_in, entry, fan):
    LikeFactory(user=fan, submission=entry)
    client = signed_in(fan)

    response = client.post(_like_url(entry), {"action": "unlike"}, follow=True)

    assert _live_likes(entry) == 0
    assert Like.objects.get(user=fan, submission=entry).removed_at is not None
    assert "Your like is withdrawn." in _messages(response)
    assert _buttons(response.content.decode())[entry.pk] == "false"


def test_liking_twice_through_the_form_keeps_one_like(signed_in, entry, fan):
    client = signed_in(fan)

    client.post(_like_url(entry))
    client.post(_like_url(entry))

    assert _live_likes(entry) == 1


def test_the_form_never_sends_you_off_site(signed_in, entry, fan):
    response = signed_in(fan).post(_like_url(entry), {"next": "https://evil.example/"})

    assert response["Location"] == f"/entries/{entry.pk}/#like-{entry.pk}"


def _refusal(kind: str, campaign: Campaign, entry: Submission, fan):
    """Set up one refusal; returns (who asks, the entry they like)."""
    if kind == "own_entry":
        return entry.author, entry
    if kind == "campaign_not_open":
        Campaign.objects.filter(pk=campaign.pk).update(
            starts_at=timezone.now() - timedelta(days=9), ends_at=timezone.now() - timedelta(days=1)
        )
        return fan, entry
    if kind == "not_likeable":
        Campaign.objects.filter(pk=campaign.pk).update(moderation_mode=Campaign.ModerationMode.POST)
        Submission.objects.filter(pk=entry.pk).update(state=Submission.State.PENDING)
        return fan, entry
    if kind == "email_unverified":
        EmailAddress.objects.filter(user=fan).update(verified=False)
        return fan, entry
    if kind == "brand_member":
        from tests.factories import MembershipFactory

        return MembershipFactory(brand=campaign.brand).user, entry
    raise AssertionError(kind)


REFUSALS = [
    ("own_entry", 400, "You cannot like your own entry."),
    ("campaign_not_open", 400, "Likes are closed: this campaign is not open."),
    ("not_likeable", 400, "This entry cannot be liked."),
    ("email_unverified", 403, "Verify your email address first: follow the link we sent you."),
    ("brand_member", 403, "Members of the brand running this campaign cannot like its entries."),
]


@pytest.mark.parametrize(("code", "status", "message"), REFUSALS)
def test_each_refusal_through_the_form_says_why(
    signed_in, campaign, entry, fan, code, status, message
):
    who, target = _refusal(code, campaign, entry, fan)

    response = signed_in(who).post(_like_url(target), follow=True)

    assert response.redirect_chain[0][0] == f"/entries/{target.pk}/"  # the top, not the button
    assert message in _messages(response)
    assert _live_likes(target) == 0


def test_a_hidden_entry_cannot_be_liked_and_is_not_confirmed(signed_in, entry, fan):
    Submission.objects.filter(pk=entry.pk).update(state=Submission.State.HIDDEN)

    assert signed_in(fan).post(_like_url(entry)).status_code == 404
    assert _live_likes(entry) == 0


def test_anonymous_visitors_are_asked_to_sign_in(client, entry):
    response = client.post(_like_url(entry))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")
    assert _live_likes(entry) == 0


def test_the_way_back_from_signing_in_shows_the_entry(signed_in, entry, fan):
    response = signed_in(fan).get(_like_url(entry))

    assert response.status_code == 302
    assert response["Location"] == f"/entries/{entry.pk}/"
    assert _live_likes(entry) == 0


# --- The API ---------------------------------------------------------------------------------


def test_api_like_is_201_then_200_and_unlike_204_then_200(entry, fan):
    api = _api(fan)

    first = api.post(_api_url(entry), {}, format="json")
    again = api.post(_api_url(entry), {}, format="json")

    assert first.status_code == 201
    assert first.json()["liked"] is True
    assert first.json()["entry"] == entry.pk
    assert again.status_code == 200
    assert again.json()["liked_at"] == first.json()["liked_at"]
    assert _live_likes(entry) == 1

    removed = api.delete(_api_url(entry))
    nothing = api.delete(_api_url(entry))

    assert removed.status_code == 204
    assert removed.content == b""
    assert nothing.status_code == 200
    assert nothing.json() == {"entry": entry.pk, "liked": False, "liked_at": None}
    assert _live_likes(entry) == 0


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code, body
    return body["error"]


@pytest.mark.parametrize(("code", "status", "message"), REFUSALS)
def test_each_refusal_through_the_api_in_the_error_shape(
    campaign, entry, fan, code, status, message
):
    who, target = _refusal(code, campaign, entry, fan)

    response = _api(who).post(_api_url(target), {}, format="json")

    assert _error(response, status, code)["message"] == message
    assert _live_likes(target) == 0


def test_api_unlike_after_the_close_is_refused_likes_are_final(campaign, entry, fan):
    LikeFactory(user=fan, submission=entry)
    Campaign.objects.filter(pk=campaign.pk).update(ends_at=timezone.now() - timedelta(seconds=1))

    response = _api(fan).delete(_api_url(entry))

    _error(response, 400, "campaign_not_open")
    assert _live_likes(entry) == 1


@pytest.mark.parametrize("method", ["post", "delete"])
def test_api_refuses_anonymous_and_unseen_entries(entry, fan, method):
    assert getattr(_api(None), method)(_api_url(entry)).status_code == 401
    Submission.objects.filter(pk=entry.pk).update(state=Submission.State.REJECTED)
    _error(getattr(_api(fan), method)(_api_url(entry)), 404, "not_found")
    _error(getattr(_api(fan), method)("/api/v1/submissions/987654/like/"), 404, "not_found")


def test_api_like_takes_no_input(entry, fan):
    error = _error(_api(fan).post(_api_url(entry), {"user": 1}, format="json"), 400, "invalid")

    assert "user" in error["fields"]
    assert _live_likes(entry) == 0


@pytest.mark.parametrize("body", ["[]", "null", "0", '""', "[1]", '"x"'])
def test_api_like_refuses_a_body_that_is_not_an_object(entry, fan, body):
    response = _api(fan).post(_api_url(entry), body, content_type="application/json")

    _error(response, 400, "invalid")
    assert _live_likes(entry) == 0


@pytest.mark.parametrize(
    "liked_at",
    [
        None,
        datetime(2026, 11, 26, 9, 30, 1, 123456, tzinfo=UTC),
        datetime(2026, 11, 26, 10, 30, tzinfo=ZoneInfo("Europe/Rome")),
    ],
)
def test_the_hand_built_like_body_is_what_the_documented_serializer_renders(liked_at):
    body = like_data(entry=42, liked_at=liked_at)

    expected = LikeSerializer({"entry": 42, "liked": liked_at is not None, "liked_at": liked_at})
    assert body == expected.data
    assert json.dumps(body)  # plain JSON types only


def test_api_works_with_the_browser_session_and_its_csrf_token(entry, fan):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(fan)

    refused = client.post(_api_url(entry), {}, format="json")
    page = client.get(reverse("entry-detail", args=[entry.pk]))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    accepted = client.post(_api_url(entry), {}, format="json", HTTP_X_CSRFTOKEN=token)

    assert refused.status_code == 403
    assert accepted.status_code == 201


# --- What the pages show ---------------------------------------------------------------------


@pytest.fixture
def gallery(campaign, fan):
    """Three entries by others (the fan likes two) and one by the fan."""
    entries = [
        SubmissionFactory(campaign=campaign, caption=f"Entry {n}", like_count=n) for n in range(3)
    ]
    own = SubmissionFactory(campaign=campaign, author=fan, caption="Mine", like_count=1)
    for liked in entries[:2]:
        LikeFactory(user=fan, submission=liked)
    LikeFactory(user=fan, submission=entries[2], removed_at=timezone.now())  # withdrawn
    return entries, own


def test_the_gallery_shows_what_the_viewer_likes(signed_in, campaign, fan, gallery):
    entries, own = gallery

    body = signed_in(fan).get(reverse("campaign-detail", args=[campaign.slug])).content.decode()

    assert _buttons(body) == {
        entries[0].pk: "true",
        entries[1].pk: "true",
        entries[2].pk: "false",  # liked once, withdrawn
    }
    assert own.pk not in _buttons(body)  # no button on your own entry
    assert "2 likes" in body
    assert "1 like<" in body
    assert 'src="/static/js/like.js"' in body


def test_the_entry_page_shows_the_liked_state(signed_in, fan, gallery):
    entries, own = gallery
    client = signed_in(fan)

    liked = client.get(reverse("entry-detail", args=[entries[1].pk])).content.decode()
    mine = client.get(reverse("entry-detail", args=[own.pk])).content.decode()

    assert _buttons(liked) == {entries[1].pk: "true"}
    assert 'data-label-liked="Liked"' in liked
    assert ">Liked<" in liked
    assert _buttons(mine) == {}
    assert "1 like<" in mine  # the author sees the count, not a button
    assert "like.js" not in mine


def test_anonymous_visitors_see_counts_and_a_sign_in_link(client, campaign, gallery):
    body = client.get(reverse("campaign-detail", args=[campaign.slug])).content.decode()

    assert _buttons(body) == {}
    assert body.count("Sign in to like") == 4
    assert f'href="/accounts/login/?next=/c/{campaign.slug}/"' in body
    assert "like.js" not in body


def test_a_closed_campaign_shows_counts_without_buttons(signed_in, campaign, fan, gallery):
    Campaign.objects.filter(pk=campaign.pk).update(ends_at=timezone.now() - timedelta(hours=1))

    body = signed_in(fan).get(reverse("campaign-detail", args=[campaign.slug])).content.decode()

    assert _buttons(body) == {}
    assert "Sign in to like" not in body
    assert "2 likes" in body


def test_the_brand_sees_counts_but_no_buttons(signed_in, campaign, owner, gallery):
    body = signed_in(owner).get(reverse("campaign-detail", args=[campaign.slug])).content.decode()

    assert _buttons(body) == {}
    assert "2 likes" in body


@pytest.mark.parametrize(
    ("viewer", "counts"), [("fan", False), ("anonymous", False), ("owner", True)]
)
def test_hidden_counts_are_hidden_until_the_close(
    signed_in, campaign, fan, owner, gallery, viewer, counts
):
    Campaign.objects.filter(pk=campaign.pk).update(hide_live_counts=True)
    entries, _own = gallery
    client = signed_in({"fan": fan, "owner": owner, "anonymous": None}[viewer])

    body = client.get(reverse("campaign-detail", args=[campaign.slug])).content.decode()
    entry_page = client.get(reverse("entry-detail", args=[entries[2].pk])).content.decode()

    assert ("data-like-count" in body) is counts
    assert ("2 likes" in body) is counts
    assert ("data-like-count" in entry_page) is counts
    if viewer == "fan":
        assert _buttons(body)[entries[0].pk] == "true"  # liking still works
    Campaign.objects.filter(pk=campaign.pk).update(ends_at=timezone.now() - timedelta(minutes=1))
    after = client.get(reverse("campaign-detail", args=[campaign.slug])).content.decode()
    assert "2 likes" in after


def test_the_author_does_not_see_hidden_counts_of_their_own_entry(
    signed_in, campaign, fan, gallery
):
    Campaign.objects.filter(pk=campaign.pk).update(hide_live_counts=True)
    _entries, own = gallery

    body = signed_in(fan).get(reverse("entry-detail", args=[own.pk])).content.decode()

    assert "data-like-count" not in body


def test_a_like_button_names_its_entry_for_screen_readers(signed_in, campaign, fan):
    SubmissionFactory(campaign=campaign, caption="", author=UserFactory(display_name="Bo"))
    SubmissionFactory(campaign=campaign, caption="<b>Sea</b>")

    body = signed_in(fan).get(reverse("campaign-detail", args=[campaign.slug])).content.decode()

    assert "the entry by Bo" in body
    assert "“&lt;b&gt;Sea&lt;/b&gt;”" in body
    assert "<b>Sea</b>" not in body


def test_no_inline_script_or_handler_on_the_pages(signed_in, campaign, fan, gallery):
    entries, _own = gallery
    client = signed_in(fan)
    pages = [
        client.get(reverse("campaign-detail", args=[campaign.slug])),
        client.get(reverse("entry-detail", args=[entries[0].pk])),
        client.get(reverse("campaign-leaderboard", args=[campaign.slug])),
    ]

    for page in pages:
        body = page.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)
        assert not re.search(r"\son[a-z]+=", body)
        assert " style=" not in body


def test_a_campaign_that_is_not_open_takes_no_likes(signed_in, fan):
    scheduled = CampaignFactory(starts_at=timezone.now() + timedelta(days=1))
    entry = SubmissionFactory(campaign=scheduled)

    response = signed_in(fan).post(_like_url(entry), follow=True)

    assert "Likes are closed" in _messages(response)
    assert _live_likes(entry) == 0


def test_hidden_counts_also_hide_the_most_liked_order(signed_in, campaign, fan, owner):
    Campaign.objects.filter(pk=campaign.pk).update(hide_live_counts=True)
    SubmissionFactory(campaign=campaign, caption="Popular", like_count=9)
    Submission.objects.filter(caption="Popular").update(
        created_at=timezone.now() - timedelta(days=1)
    )
    SubmissionFactory(campaign=campaign, caption="Quiet", like_count=0)
    url = reverse("campaign-detail", args=[campaign.slug])

    public = signed_in(fan).get(url, {"order": "most_liked"}).content.decode()
    brand = signed_in(owner).get(url, {"order": "most_liked"}).content.decode()

    gallery = public.split('id="gallery"')[1]
    assert 'href="?order=most_liked#gallery"' not in public  # no such tab
    assert gallery.index("Quiet") < gallery.index("Popular")  # newest first, not by likes
    brand_gallery = brand.split('id="gallery"')[1]
    assert brand_gallery.index("Popular") < brand_gallery.index("Quiet")
