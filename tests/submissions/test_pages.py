"""Participant pages: a campaign and its gallery, an entry, sending one, comments, reports.

The pages only parse, call a service or selector and render: these tests check what each actor
sees and that every refusal a person can cause is a 4xx naming the problem, in their language,
with nothing stored.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from campaigns.formatting import rules_render
from campaigns.models import Campaign, Prize
from submissions.models import Comment, Report, Submission
from tests import imagefiles
from tests.factories import (
    CampaignFactory,
    CampaignTermsFactory,
    CommentFactory,
    MembershipFactory,
    StaffFactory,
    SubmissionFactory,
    UserFactory,
)
from tests.submissions.helpers import stored_files

pytestmark = pytest.mark.django_db

TAG = re.compile(r"<(img|meta|a|time|input|textarea|link|iframe)\b[^>]*>", re.S)
ATTR = re.compile(r'([a-zA-Z:_-]+)(?:="([^"]*)")?')


def tags(response, name: str) -> list[dict[str, str]]:
    """Every <name ...> tag of a page, as its attributes (values unescaped)."""
    found = []
    for match in TAG.finditer(response.content.decode()):
        if match.group(1) != name:
            continue
        attrs = dict(ATTR.findall(match.group(0)[len(name) + 1 :]))
        found.append({key: html.unescape(value) for key, value in attrs.items()})
    return found


def meta(response, key: str) -> str | None:
    for tag in tags(response, "meta"):
        if key in (tag.get("property"), tag.get("name")):
            return tag["content"]
    return None


def text(response) -> str:
    return html.unescape(response.content.decode())


def with_thumbnails(entry: Submission, width: int = 2000, height: int = 1500) -> Submission:
    """Pretend the thumbnail task has run: the pages only need the names and the sizes."""
    entry.kind = Submission.Kind.PHOTO
    entry.text = ""
    entry.image.name = f"submissions/{entry.campaign_id}/photo-{entry.pk}.jpg"
    entry.image_width, entry.image_height = width, height
    folder = f"submissions/{entry.campaign_id}/thumbs"
    for field, size in (("thumb_small", 320), ("thumb_medium", 640), ("thumb_large", 1280)):
        getattr(entry, field).name = f"{folder}/p{entry.pk}-{size}.webp"
    entry.save()
    return entry


def photo_entry(**kwargs: object) -> Submission:
    entry = SubmissionFactory(**kwargs)
    entry.kind, entry.text = Submission.Kind.PHOTO, ""
    entry.image.name = f"submissions/{entry.campaign_id}/photo-{entry.pk}.jpg"
    entry.image_width, entry.image_height = 800, 600
    entry.save()
    return entry


@pytest.fixture
def member(campaign):
    return MembershipFactory(brand=campaign.brand).user


def actor_for(name: str, *, campaign: Campaign, entry: Submission | None = None):
    """anonymous, participant, author (of `entry`), member (of the brand), staff."""
    if name == "anonymous":
        return None
    if name == "author":
        return entry.author
    if name == "member":
        return MembershipFactory(brand=campaign.brand).user
    if name == "staff":
        return StaffFactory()
    return UserFactory()


def client_as(client, user):
    if user is not None:
        client.force_login(user)
    return client


# --- Campaign page ---------------------------------------------------------------------------


def campaign_url(campaign: Campaign) -> str:
    return reverse("campaign-detail", args=[campaign.slug])


def test_campaign_page_shows_brief_rules_prizes_and_dates(client, campaign) -> None:
    campaign.rules = "Be **kind**.\n\n<script>alert(1)</script>"
    campaign.rules_html = rules_render(campaign.rules)
    campaign.brief = "Show us your morning."
    campaign.save()
    Prize.objects.create(campaign=campaign, rank=1, description="A copper moka pot")

    response = client.get(campaign_url(campaign))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Show us your morning." in body
    assert "<strong>kind</strong>" in body
    assert "<script>alert(1)</script>" not in body
    assert "A copper moka pot" in body
    assert campaign.brand.name in body
    assert "js/local-time.js" in body
    assert "js/countdown.js" in body


def test_campaign_dates_are_utc_instants_shown_in_the_brand_time_zone(client) -> None:
    campaign = CampaignFactory(
        brand__time_zone="America/New_York",
        starts_at=datetime(2020, 1, 15, 14, 30, tzinfo=UTC),
        ends_at=datetime(2099, 7, 1, 12, 0, tzinfo=UTC),
    )

    response = client.get(campaign_url(campaign), HTTP_ACCEPT_LANGUAGE="en")

    times = [t for t in tags(response, "time") if "data-local-time" in t]
    assert [t["datetime"] for t in times] == [
        "2020-01-15T14:30:00+00:00",
        "2099-07-01T12:00:00+00:00",
    ]
    # Without JavaScript: the brand's local time, with the zone named.
    assert "09:30 (America/New_York)" in text(response)
    assert "08:00 (America/New_York)" in text(response)


@pytest.mark.parametrize(
    ("starts", "ends", "countdown"),
    [
        (-1, 3, "Closes in"),
        (3, 10, "Opens in"),
    ],
)
def test_countdown_has_a_text_without_javascript(client, starts, ends, countdown) -> None:
    now = timezone.now()
    campaign = CampaignFactory(
        starts_at=now + timedelta(days=starts), ends_at=now + timedelta(days=ends, minutes=5)
    )

    response = client.get(campaign_url(campaign))

    assert re.search(countdown + r"\s*<strong data-countdown-left>\s*[23]\xa0days", text(response))
    assert 'role="timer"' in response.content.decode()


@pytest.mark.parametrize(
    ("who", "target"),
    [("anonymous", "/accounts/login/?next=/c/{slug}/enter/"), ("participant", "/c/{slug}/enter/")],
)
def test_open_campaign_invites_to_submit(client, campaign, who, target) -> None:
    client_as(client, actor_for(who, campaign=campaign))

    response = client.get(campaign_url(campaign))

    links = {a.get("href") for a in tags(response, "a")}
    assert target.format(slug=campaign.slug) in links
    assert "Submit an entry" in text(response)


def test_closed_campaign_does_not_invite_to_submit(client) -> None:
    now = timezone.now()
    campaign = CampaignFactory(starts_at=now - timedelta(days=9), ends_at=now - timedelta(days=1))

    response = client.get(campaign_url(campaign))

    assert response.status_code == 200
    assert "Submit an entry" not in text(response)
    assert "This campaign is closed" in text(response)


@pytest.mark.parametrize("who", ["anonymous", "participant", "staff", "other brand"])
def test_draft_campaign_is_404_for_anyone_outside_its_brand(client, who) -> None:
    campaign = CampaignFactory(status=Campaign.Status.DRAFT)
    user = MembershipFactory().user if who == "other brand" else actor_for(who, campaign=campaign)
    client_as(client, user)

    assert client.get(campaign_url(campaign)).status_code == 404


def test_draft_campaign_is_a_preview_for_its_brand(client) -> None:
    campaign = CampaignFactory(status=Campaign.Status.DRAFT)
    client.force_login(MembershipFactory(brand=campaign.brand).user)

    response = client.get(campaign_url(campaign))

    assert response.status_code == 200
    assert "Preview — not published" in text(response)
    assert meta(response, "robots") == "noindex"


def test_published_campaign_has_no_preview_banner(client, campaign, member) -> None:
    client.force_login(member)

    assert "Preview — not published" not in text(client.get(campaign_url(campaign)))


# --- Gallery ---------------------------------------------------------------------------------


def test_gallery_shows_only_visible_entries(client) -> None:
    campaign = CampaignFactory(moderation_mode=Campaign.ModerationMode.PRE)
    shown = SubmissionFactory(campaign=campaign, caption="Shown")
    for state in ("pending", "rejected", "hidden"):
        SubmissionFactory(campaign=campaign, state=state, caption=f"Not {state}")
    SubmissionFactory(caption="Another campaign")

    response = client.get(campaign_url(campaign))

    body = text(response)
    assert "Shown" in body
    assert reverse("entry-detail", args=[shown.pk]) in body
    assert "Not pending" not in body
    assert "Not rejected" not in body
    assert "Not hidden" not in body
    assert "Another campaign" not in body


def test_pending_entries_show_under_post_moderation(client, campaign) -> None:
    SubmissionFactory(campaign=campaign, state="pending", caption="Visible meanwhile")

    assert "Visible meanwhile" in text(client.get(campaign_url(campaign)))


def test_gallery_card_shows_author_name_counts_and_never_the_email(client, campaign) -> None:
    author = UserFactory(display_name="Giulia R.", email="giulia@example.com")
    SubmissionFactory(campaign=campaign, author=author, like_count=7, comment_count=2)
    anonymous_name = UserFactory(display_name="")
    SubmissionFactory(campaign=campaign, author=anonymous_name)

    body = text(client.get(campaign_url(campaign)))

    assert "by Giulia R." in body
    assert f"by Participant #{anonymous_name.pk}" in body
    assert "giulia@example.com" not in body
    assert anonymous_name.email not in body
    assert "7 likes" in body
    assert "2 comments" in body


def test_photo_card_has_srcset_sizes_and_scaled_dimensions(client, campaign) -> None:
    entry = with_thumbnails(SubmissionFactory(campaign=campaign, caption="Misty loch"))

    response = client.get(campaign_url(campaign))

    (img,) = [t for t in tags(response, "img") if t.get("alt") == "Misty loch"]
    assert img["src"] == f"/media/submissions/{campaign.pk}/thumbs/p{entry.pk}-640.webp"
    assert img["srcset"] == ", ".join(
        f"/media/submissions/{campaign.pk}/thumbs/p{entry.pk}-{w}.webp {w}w"
        for w in (320, 640, 1280)
    )
    assert img["sizes"]
    assert (img["width"], img["height"]) == ("640", "480")


def test_srcset_widths_are_the_real_ones_for_a_small_photo(client, campaign) -> None:
    entry = with_thumbnails(SubmissionFactory(campaign=campaign, caption="Small"), 500, 250)

    (img,) = [t for t in tags(client.get(campaign_url(campaign)), "img") if t.get("alt") == "Small"]

    # Thumbnails are never wider than the photo: 320, then 500 (twice, listed once).
    assert img["srcset"] == (
        f"/media/submissions/{campaign.pk}/thumbs/p{entry.pk}-320.webp 320w, "
        f"/media/submissions/{campaign.pk}/thumbs/p{entry.pk}-640.webp 500w"
    )
    assert (img["width"], img["height"]) == ("500", "250")


def test_photo_card_without_thumbnails_shows_the_photo(client, campaign) -> None:
    entry = photo_entry(campaign=campaign, caption="Fresh")

    (img,) = [t for t in tags(client.get(campaign_url(campaign)), "img") if t.get("alt") == "Fresh"]

    assert img["src"] == f"/media/{entry.image.name}"
    assert "srcset" not in img
    assert (img["width"], img["height"]) == ("640", "480")


def test_photo_without_caption_has_an_alt_text(client, campaign) -> None:
    author = UserFactory(display_name="Ada")
    photo_entry(campaign=campaign, author=author, caption="")

    alts = [t.get("alt") for t in tags(client.get(campaign_url(campaign)), "img")]

    assert "Photo by Ada" in alts


def test_photos_after_the_first_row_load_lazily(client, campaign) -> None:
    for n in range(5):
        photo_entry(campaign=campaign, caption=f"Photo {n}")

    imgs = [t for t in tags(client.get(campaign_url(campaign)), "img") if "Photo" in t["alt"]]

    assert ["loading" in img for img in imgs] == [False, False, False, True, True]


def test_text_and_video_cards(client, campaign) -> None:
    SubmissionFactory(campaign=campaign, text="Three years with the same moka.")
    SubmissionFactory(
        campaign=campaign,
        kind="video",
        text="",
        video_url="https://vimeo.com/76979871",
        video_provider="vimeo",
        video_id="76979871",
    )

    response = client.get(campaign_url(campaign))

    assert "Three years with the same moka." in text(response)
    assert "Vimeo" in text(response)
    assert "https://vimeo.com/76979871" in {a.get("href") for a in tags(response, "a")}
    assert not tags(response, "iframe")


def test_gallery_orders_by_newest_or_most_liked(client, campaign) -> None:
    now = timezone.now()
    SubmissionFactory(campaign=campaign, caption="Old favourite", like_count=9)
    Submission.objects.filter(caption="Old favourite").update(created_at=now - timedelta(days=2))
    SubmissionFactory(campaign=campaign, caption="New and quiet", like_count=0)

    # The gallery only: the leaderboard above it lists the most liked entries too.
    gallery = 'id="gallery"'
    newest = text(client.get(campaign_url(campaign))).split(gallery)[1]
    liked = text(client.get(campaign_url(campaign), {"order": "most_liked"})).split(gallery)[1]

    assert newest.index("New and quiet") < newest.index("Old favourite")
    assert liked.index("Old favourite") < liked.index("New and quiet")


def test_more_entries_link_pages_with_a_cursor(client, campaign, settings) -> None:
    settings.PASSAPAROLA_GALLERY_PAGE_SIZE = 2
    for n in range(3):
        SubmissionFactory(campaign=campaign, caption=f"Entry {n}")

    first = client.get(campaign_url(campaign))
    (more,) = [a["href"] for a in tags(first, "a") if a.get("rel") == "next"]
    second = client.get(campaign_url(campaign) + more.split("#")[0])

    assert "Entry 2" in text(first)
    assert "Entry 1" in text(first)
    assert "Entry 0" not in text(first)
    assert "cursor=" in more
    assert second.status_code == 200
    assert "Entry 0" in text(second)
    assert "Entry 2" not in text(second)
    assert not [a for a in tags(second, "a") if a.get("rel") == "next"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"cursor": "not-a-cursor"},
            "This page link is not valid any more; start again from the first page.",
        ),
        ({"cursor": "eyJvIjoibmV3ZXN0In0"}, "This page link is not valid any more"),
        ({"order": "random"}, "Sort by newest or most liked."),
    ],
)
def test_bad_gallery_links_are_400_with_a_clear_message(client, campaign, query, message) -> None:
    SubmissionFactory(campaign=campaign)

    response = client.get(campaign_url(campaign), query)

    assert response.status_code == 400
    assert message in text(response)
    assert "Go to the first page of entries" in text(response)


# --- Entry page ------------------------------------------------------------------------------


def entry_url(entry: Submission) -> str:
    return reverse("entry-detail", args=[entry.pk])


@pytest.mark.parametrize("who", ["anonymous", "participant", "author", "member", "staff"])
def test_visible_entry_shows_to_everyone(client, campaign, who) -> None:
    entry = SubmissionFactory(campaign=campaign, caption="Sunrise", text="Up at five.")
    client_as(client, actor_for(who, campaign=campaign, entry=entry))

    response = client.get(entry_url(entry))

    assert response.status_code == 200
    body = text(response)
    assert "Sunrise" in body
    assert "Up at five." in body
    assert entry.author.public_name in body
    assert entry.author.email not in body
    assert campaign_url(campaign) in body


@pytest.mark.parametrize(
    ("state", "mode", "banner"),
    [
        ("rejected", "post", "Rejected: Blurry"),
        ("hidden", "post", "Hidden pending review"),
        ("pending", "pre", "Pending review"),
    ],
)
@pytest.mark.parametrize("who", ["anonymous", "participant", "member", "author", "staff"])
def test_entries_the_public_cannot_see_show_only_to_author_and_staff(
    client, who, state, mode, banner
) -> None:
    campaign = CampaignFactory(moderation_mode=mode)
    entry = SubmissionFactory(campaign=campaign, state=state, state_reason="Blurry")
    client_as(client, actor_for(who, campaign=campaign, entry=entry))

    response = client.get(entry_url(entry))

    if who in ("author", "staff"):
        assert response.status_code == 200
        assert banner in text(response)
        assert meta(response, "robots") == "noindex"
    else:
        assert response.status_code == 404


def test_visible_entry_has_no_state_banner_for_others(client, campaign) -> None:
    entry = SubmissionFactory(campaign=campaign, state="pending")
    client.force_login(UserFactory())

    assert "Pending review" not in text(client.get(entry_url(entry)))


def test_open_graph_and_twitter_tags_with_absolute_urls(client, campaign) -> None:
    entry = with_thumbnails(SubmissionFactory(campaign=campaign, caption="Fog on the loch"))

    response = client.get(entry_url(entry))

    assert meta(response, "og:type") == "article"
    assert meta(response, "og:site_name") == "Passaparola"
    assert meta(response, "og:title") == "Fog on the loch"
    assert campaign.title in meta(response, "og:description")
    assert meta(response, "og:url") == f"http://testserver/entries/{entry.pk}/"
    # The re-encoded JPEG, not the WebP thumbnail: some link-preview crawlers skip WebP.
    assert meta(response, "og:image") == (
        f"http://testserver/media/submissions/{campaign.pk}/photo-{entry.pk}.jpg"
    )
    assert (meta(response, "og:image:width"), meta(response, "og:image:height")) == (
        "2000",
        "1500",
    )
    assert meta(response, "og:image:alt") == "Fog on the loch"
    assert meta(response, "twitter:card") == "summary_large_image"
    assert meta(response, "twitter:image") == meta(response, "og:image")


def test_open_graph_uses_the_photo_until_thumbnails_exist(client, campaign) -> None:
    entry = photo_entry(campaign=campaign, caption="")

    response = client.get(entry_url(entry))

    assert meta(response, "og:title") == campaign.title
    assert meta(response, "og:image") == f"http://testserver/media/{entry.image.name}"
    assert (meta(response, "og:image:width"), meta(response, "og:image:height")) == (
        "800",
        "600",
    )


def test_entry_photo_is_large_with_srcset(client, campaign) -> None:
    entry = with_thumbnails(SubmissionFactory(campaign=campaign, caption="Ridge"))

    (img,) = [t for t in tags(client.get(entry_url(entry)), "img") if t.get("alt") == "Ridge"]

    assert img["src"].endswith(f"p{entry.pk}-1280.webp")
    assert "320w" in img["srcset"]
    assert "1280w" in img["srcset"]
    assert (img["width"], img["height"]) == ("1280", "960")


def test_video_entry_is_a_click_to_load_facade(client, campaign) -> None:
    entry = SubmissionFactory(
        campaign=campaign,
        kind="video",
        text="",
        video_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        video_provider="youtube",
        video_id="dQw4w9WgXcQ",
    )

    response = client.get(entry_url(entry))

    body = response.content.decode()
    # No request to the host until the visitor presses play: no iframe, no embed as a source.
    assert not tags(response, "iframe")
    assert 'data-embed-url="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in body
    assert "https://www.youtube.com/watch?v=dQw4w9WgXcQ" in {
        a.get("href") for a in tags(response, "a")
    }
    assert "js/video-facade.js" in body


@pytest.mark.parametrize(
    ("mode", "message"),
    [("pre", "Thanks! Your entry is waiting for review."), ("post", "Your entry is live.")],
)
def test_the_author_is_thanked_after_sending(client, mode, message) -> None:
    campaign = CampaignFactory(moderation_mode=mode)
    entry = SubmissionFactory(campaign=campaign, state="pending")
    client.force_login(entry.author)

    assert message in text(client.get(entry_url(entry) + "?submitted=1"))


# --- Comments --------------------------------------------------------------------------------


def test_comments_are_plain_text_with_links_shown_not_active_html(client, campaign) -> None:
    entry = SubmissionFactory(campaign=campaign)
    CommentFactory(
        submission=entry, body="<b>bold</b> <script>x()</script>\nsee https://example.org/a?b=1"
    )

    body = client.get(entry_url(entry)).content.decode()

    assert "&lt;b&gt;bold&lt;/b&gt; &lt;script&gt;x()&lt;/script&gt;<br>" in body
    link = "https://example.org/a?b=1"
    assert f'<a href="{link}" rel="nofollow">{link}</a>' in body
    assert "<script>x()" not in body


def test_a_verified_participant_comments(client, campaign) -> None:
    entry = SubmissionFactory(campaign=campaign)
    commenter = UserFactory()
    client.force_login(commenter)

    response = client.post(reverse("comment-create", args=[entry.pk]), {"body": "Lovely\r\nlight"})

    comment = Comment.objects.get()
    assert (comment.author, comment.body) == (commenter, "Lovely\nlight")
    assert response.status_code == 302
    assert response["Location"] == f"{entry_url(entry)}#comment-{comment.pk}"


@pytest.mark.parametrize(
    ("who", "status", "message"),
    [
        ("anonymous", 302, None),
        ("unverified", 403, "Verify your email address first"),
        ("verified-empty", 400, "This field is required."),
    ],
)
def test_refused_comments_store_nothing(client, campaign, who, status, message) -> None:
    entry = SubmissionFactory(campaign=campaign)
    if who == "unverified":
        client.force_login(UserFactory(verified=False))
    elif who == "verified-empty":
        client.force_login(UserFactory())

    response = client.post(
        reverse("comment-create", args=[entry.pk]),
        {"body": "" if who == "verified-empty" else "Hi"},
    )

    assert response.status_code == status
    if message:
        assert message in text(response)
    else:
        assert response["Location"].startswith("/accounts/login/")
    assert Comment.objects.count() == 0


@pytest.mark.parametrize(
    ("who", "form_shown"),
    [("anonymous", False), ("unverified", False), ("participant", True)],
)
def test_comment_form_only_for_verified_people(client, campaign, who, form_shown) -> None:
    entry = SubmissionFactory(campaign=campaign)
    if who == "unverified":
        client.force_login(UserFactory(verified=False))
    elif who == "participant":
        client.force_login(UserFactory())

    response = client.get(entry_url(entry))

    assert bool(tags(response, "textarea")) == form_shown


def test_edit_and_delete_links_only_on_your_own_comments(client, campaign) -> None:
    entry = SubmissionFactory(campaign=campaign)
    mine = CommentFactory(submission=entry)
    theirs = CommentFactory(submission=entry)
    client.force_login(mine.author)

    hrefs = {a.get("href") for a in tags(client.get(entry_url(entry)), "a")}

    assert reverse("comment-edit", args=[mine.pk]) in hrefs
    assert reverse("comment-delete", args=[mine.pk]) in hrefs
    assert reverse("comment-edit", args=[theirs.pk]) not in hrefs
    assert reverse("comment-delete", args=[theirs.pk]) not in hrefs
    assert reverse("comment-report", args=[theirs.pk]) in hrefs
    assert reverse("comment-report", args=[mine.pk]) not in hrefs


def test_the_author_edits_a_comment(client, campaign) -> None:
    comment = CommentFactory(submission=SubmissionFactory(campaign=campaign), body="Nice")
    client.force_login(comment.author)
    url = reverse("comment-edit", args=[comment.pk])

    form = client.get(url)
    response = client.post(url, {"body": "Very nice"})

    assert form.status_code == 200
    assert "Nice" in text(form)
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.body == "Very nice"
    assert comment.edited_at is not None
    assert "(edited)" in text(client.get(entry_url(comment.submission)))


@pytest.mark.parametrize("who", ["participant", "staff", "entry author"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_others_cannot_edit_a_comment(client, campaign, who, method) -> None:
    comment = CommentFactory(submission=SubmissionFactory(campaign=campaign), body="Mine")
    user = comment.submission.author if who == "entry author" else actor_for(who, campaign=campaign)
    client.force_login(user)

    response = getattr(client, method)(
        reverse("comment-edit", args=[comment.pk]), {"body": "Hacked"}
    )

    assert response.status_code == 403
    assert "Only its author can edit a comment." in text(response)
    comment.refresh_from_db()
    assert comment.body == "Mine"


@pytest.mark.parametrize("who", ["author", "staff"])
def test_author_or_staff_delete_a_comment_after_confirming(client, campaign, who) -> None:
    comment = CommentFactory(submission=SubmissionFactory(campaign=campaign))
    client.force_login(comment.author if who == "author" else StaffFactory())
    url = reverse("comment-delete", args=[comment.pk])

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert Comment.objects.filter(pk=comment.pk).exists()

    response = client.post(url)

    assert response.status_code == 302
    assert not Comment.objects.filter(pk=comment.pk).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_others_cannot_delete_a_comment(client, campaign, method) -> None:
    comment = CommentFactory(submission=SubmissionFactory(campaign=campaign))
    client.force_login(UserFactory())

    response = getattr(client, method)(reverse("comment-delete", args=[comment.pk]))

    assert response.status_code == 403
    assert "Only its author or a moderator can delete a comment." in text(response)
    assert Comment.objects.filter(pk=comment.pk).exists()


@pytest.mark.parametrize("name", ["comment-edit", "comment-delete", "comment-report"])
def test_comments_people_cannot_see_are_404(client, campaign, name) -> None:
    hidden = CommentFactory(submission=SubmissionFactory(campaign=campaign), is_hidden=True)
    on_rejected = CommentFactory(submission=SubmissionFactory(campaign=campaign, state="rejected"))
    client.force_login(UserFactory())

    assert client.get(reverse(name, args=[hidden.pk])).status_code == 404
    assert client.get(reverse(name, args=[on_rejected.pk])).status_code == 404
    assert client.get(reverse(name, args=[999_999])).status_code == 404


@pytest.mark.parametrize("name", ["comment-edit", "comment-delete", "comment-report"])
def test_comment_pages_need_signing_in(client, campaign, name) -> None:
    comment = CommentFactory(submission=SubmissionFactory(campaign=campaign))

    response = client.get(reverse(name, args=[comment.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- Reports ---------------------------------------------------------------------------------


def test_report_an_entry(client, campaign) -> None:
    entry = SubmissionFactory(campaign=campaign)
    reporter = UserFactory()
    client.force_login(reporter)
    url = reverse("entry-report", args=[entry.pk])

    form = client.get(url)
    response = client.post(url, {"reason": "spam", "details": "Ads"}, follow=True)

    assert form.status_code == 200
    assert {i["value"] for i in tags(form, "input") if i.get("type") == "radio"} == set(
        Report.Reason.values
    )
    assert response.redirect_chain[-1][0] == entry_url(entry)
    assert "a moderator will look at it" in text(response)
    report = Report.objects.get()
    assert (report.reporter, report.submission, report.reason, report.details) == (
        reporter,
        entry,
        "spam",
        "Ads",
    )


def test_report_a_comment(client, campaign) -> None:
    comment = CommentFactory(submission=SubmissionFactory(campaign=campaign))
    client.force_login(UserFactory())

    response = client.post(reverse("comment-report", args=[comment.pk]), {"reason": "offensive"})

    assert response.status_code == 302
    assert Report.objects.get().comment == comment


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "You have already reported this."), ("it", "Hai già fatto questa segnalazione.")],
)
def test_reporting_twice_is_a_clear_409(client, campaign, language, message) -> None:
    entry = SubmissionFactory(campaign=campaign)
    reporter = UserFactory(language="")
    client.force_login(reporter)
    url = reverse("entry-report", args=[entry.pk])
    client.post(url, {"reason": "spam"})

    response = client.post(url, {"reason": "other"}, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 409
    assert message in text(response)
    assert Report.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "own", "status", "message"),
    [
        ({"reason": ""}, False, 400, "This field is required."),
        ({"reason": "nonsense"}, False, 400, "Select a valid choice."),
        ({"reason": "spam"}, True, 400, "You cannot report your own content."),
    ],
)
def test_bad_reports_store_nothing(client, campaign, data, own, status, message) -> None:
    entry = SubmissionFactory(campaign=campaign)
    client.force_login(entry.author if own else UserFactory())

    response = client.post(reverse("entry-report", args=[entry.pk]), data)

    assert response.status_code == status
    assert message in text(response)
    assert Report.objects.count() == 0


def test_reporting_needs_signing_in(client, campaign) -> None:
    entry = SubmissionFactory(campaign=campaign)

    response = client.post(reverse("entry-report", args=[entry.pk]), {"reason": "spam"})

    assert response["Location"].startswith("/accounts/login/")
    assert Report.objects.count() == 0


# --- Sending an entry ------------------------------------------------------------------------


def enter_url(campaign: Campaign) -> str:
    return reverse("entry-create", args=[campaign.slug])


def jpeg(name: str = "photo.jpg", data: bytes | None = None) -> SimpleUploadedFile:
    body = imagefiles.jpeg_bytes(size=(64, 48)) if data is None else data
    return SimpleUploadedFile(name, body, content_type="image/jpeg")


def test_sending_needs_signing_in(client, campaign) -> None:
    response = client.get(enter_url(campaign))

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={enter_url(campaign)}"


def test_the_form_offers_what_the_campaign_takes(client, participant) -> None:
    campaign = CampaignFactory(allow_photo=True, allow_text=True, allow_video=False)
    campaign.text_max_length = 500
    campaign.save()
    CampaignTermsFactory(campaign=campaign, version=3, text="No copying.")
    client.force_login(participant)

    response = client.get(enter_url(campaign))

    assert response.status_code == 200
    kinds = [i["value"] for i in tags(response, "input") if i.get("name") == "kind"]
    assert kinds == ["photo", "text"]
    (image,) = [i for i in tags(response, "input") if i.get("name") == "image"]
    assert image["accept"] == "image/jpeg,image/png,image/webp,image/heic,.heic"
    (textarea,) = tags(response, "textarea")
    assert textarea["maxlength"] == "500"
    assert "At most 500 characters." in text(response)
    assert not [i for i in tags(response, "input") if i.get("name") == "video_url"]
    assert "I accept the terms (version 3)" in text(response)
    assert "<details" in response.content.decode()
    assert "No copying." in text(response)
    body = response.content.decode()
    assert "data-upload-progress" in body
    assert "<progress" in body
    assert "js/upload-progress.js" in body
    assert "js/entry-form.js" in body


def test_no_terms_no_checkbox(client, campaign, participant) -> None:
    client.force_login(participant)

    response = client.get(enter_url(campaign))

    assert not [i for i in tags(response, "input") if i.get("name") == "accept_terms"]


def test_a_gps_tagged_photo_is_stored_without_exif(client, campaign, participant) -> None:
    CampaignTermsFactory(campaign=campaign, version=2)
    client.force_login(participant)
    upload = jpeg(data=imagefiles.jpeg_bytes(size=(64, 48), gps=True))

    response = client.post(
        enter_url(campaign),
        {"kind": "photo", "image": upload, "caption": "Summit", "accept_terms": "on"},
    )

    entry = Submission.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{entry_url(entry)}?submitted=1"
    assert (entry.kind, entry.caption, entry.author) == ("photo", "Summit", participant)
    assert entry.terms.version == 2
    assert entry.terms_accepted_at is not None
    with Image.open(entry.image.path) as stored:
        assert len(stored.getexif()) == 0
        assert "exif" not in stored.info
    with open(entry.image.path, "rb") as stored_bytes:
        assert not imagefiles.has_metadata(stored_bytes.read())


def test_a_text_is_stored_with_line_breaks_counted_once(client, participant) -> None:
    campaign = CampaignFactory(text_max_length=11)
    client.force_login(participant)

    response = client.post(enter_url(campaign), {"kind": "text", "text": "Hello\r\nthere"})

    assert response.status_code == 302
    assert Submission.objects.get().text == "Hello\nthere"


def test_a_video_link_is_stored(client, campaign, participant) -> None:
    client.force_login(participant)

    response = client.post(
        enter_url(campaign),
        {"kind": "video", "video_url": "https://youtu.be/dQw4w9WgXcQ?si=tracking"},
    )

    entry = Submission.objects.get()
    assert response.status_code == 302
    assert (entry.video_provider, entry.video_id) == ("youtube", "dQw4w9WgXcQ")
    assert entry.video_url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


def test_only_the_chosen_kind_is_sent(client, campaign, participant) -> None:
    client.force_login(participant)

    client.post(
        enter_url(campaign),
        {"kind": "text", "text": "Words", "image": jpeg(), "video_url": "https://x.test/"},
    )

    entry = Submission.objects.get()
    assert (entry.kind, entry.text, entry.image.name, entry.video_url) == ("text", "Words", "", "")
    assert stored_files() == []


@pytest.mark.parametrize(
    ("mode", "message"),
    [("pre", "Thanks! Your entry is waiting for review."), ("post", "Your entry is live.")],
)
def test_the_entry_page_greets_after_sending(client, participant, mode, message) -> None:
    campaign = CampaignFactory(moderation_mode=mode)
    client.force_login(participant)

    response = client.post(enter_url(campaign), {"kind": "text", "text": "Hi"}, follow=True)

    assert response.status_code == 200
    assert message in text(response)


def _closed(campaign: Campaign) -> None:
    now = timezone.now()
    Campaign.objects.filter(pk=campaign.pk).update(
        starts_at=now - timedelta(days=5), ends_at=now - timedelta(days=1)
    )


def _draft(campaign: Campaign) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)


def _limit_reached(campaign: Campaign, user) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(max_entries_per_participant=1)
    SubmissionFactory(campaign=campaign, author=user)


def _text_only(campaign: Campaign) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(allow_photo=False, allow_video=False)


def _short_texts(campaign: Campaign) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(text_max_length=10)


def _terms(campaign: Campaign) -> None:
    CampaignTermsFactory(campaign=campaign)


# (name, arrange, data, message in English, message in Italian or None if not translated yet)
BAD_ENTRIES = [
    (
        "closed campaign",
        _closed,
        {"kind": "text", "text": "Hi"},
        "This campaign is not open for entries.",
        "Questa campagna non è aperta ai contributi.",
    ),
    (
        "draft campaign, brand member",
        _draft,
        {"kind": "text", "text": "Hi"},
        "This campaign is not open for entries.",
        "Questa campagna non è aperta ai contributi.",
    ),
    (
        "past the entry limit",
        _limit_reached,
        {"kind": "text", "text": "Hi"},
        "You have reached this campaign's limit of 1 entries.",
        "Hai raggiunto il limite di 1 contributi di questa campagna.",
    ),
    (
        "wrong kind",
        _text_only,
        {"kind": "photo", "image": "JPEG"},
        "This campaign does not take photo entries.",
        "Questa campagna non accetta contributi fotografici.",
    ),
    (
        "text over the limit",
        _short_texts,
        {"kind": "text", "text": "x" * 11},
        "The text is too long: this campaign takes at most 10 characters.",
        "Il testo è troppo lungo: questa campagna accetta al massimo 10 caratteri.",
    ),
    (
        "unsupported video host",
        None,
        {"kind": "video", "video_url": "https://videos.example.com/watch/1"},
        "Paste the https link of a YouTube, Vimeo or TikTok video.",
        "Incolla il link https di un video di YouTube, Vimeo o TikTok.",
    ),
    (
        "terms not accepted",
        _terms,
        {"kind": "text", "text": "Hi"},
        "Accept the campaign's terms to take part.",
        "Accetta il regolamento della campagna per partecipare.",
    ),
    (
        "a non-image named .jpg",
        None,
        {"kind": "photo", "image": "HTML"},
        "This file is not a JPEG, PNG, WebP or HEIC photo.",
        "Questo file non è una foto JPEG, PNG, WebP o HEIC.",
    ),
    (
        "an upload over the size limit",
        "too large",
        {"kind": "photo", "image": "NOISY"},
        "The file is too large: the limit is 1 MB.",
        "Il file è troppo grande: il limite è di 1 MB.",
    ),
]
UPLOADS = {
    "JPEG": lambda: jpeg(),
    "HTML": lambda: jpeg("photo.jpg", imagefiles.HTML_PAGE),
    "NOISY": lambda: jpeg("big.jpg", imagefiles.noisy_jpeg_bytes((300, 300))),
}


@pytest.mark.parametrize("language", ["en", "it"])
@pytest.mark.parametrize(
    ("arrange", "data", "english", "italian"),
    [case[1:] for case in BAD_ENTRIES],
    ids=[case[0] for case in BAD_ENTRIES],
)
def test_bad_entries_are_400_with_a_translated_message_and_nothing_stored(
    client, campaign, settings, language, arrange, data, english, italian
) -> None:
    user = UserFactory(language="")
    if arrange == _draft:
        MembershipFactory(brand=campaign.brand, user=user)
    if arrange == _limit_reached:
        arrange(campaign, user)
    elif arrange == "too large":
        settings.PASSAPAROLA_IMAGE_MAX_BYTES = 2048
    elif arrange is not None:
        arrange(campaign)
    before = Submission.objects.count()
    files_before = stored_files()
    client.force_login(user)
    data = {k: UPLOADS[v]() if k == "image" else v for k, v in data.items()}

    response = client.post(enter_url(campaign), data, HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 400
    assert (english if language == "en" else italian) in text(response)
    assert Submission.objects.count() == before
    assert stored_files() == files_before


@pytest.mark.parametrize("phase", ["closed", "scheduled"])
def test_a_campaign_not_open_says_so_without_a_form(client, participant, phase) -> None:
    now = timezone.now()
    days = -1 if phase == "closed" else 3
    campaign = CampaignFactory(
        starts_at=now + timedelta(days=days - 5 if phase == "closed" else days),
        ends_at=now + timedelta(days=days if phase == "closed" else days + 5),
    )
    client.force_login(participant)

    response = client.get(enter_url(campaign))

    assert response.status_code == 200
    assert "This campaign is not open for entries." in text(response)
    assert not tags(response, "textarea")
    assert "data-upload-progress" not in response.content.decode()


@pytest.mark.parametrize("who", ["participant", "other brand"])
def test_draft_campaign_entry_page_is_404_outside_its_brand(client, who) -> None:
    campaign = CampaignFactory(status=Campaign.Status.DRAFT)
    client.force_login(MembershipFactory().user if who == "other brand" else UserFactory())

    assert client.get(enter_url(campaign)).status_code == 404
    assert client.post(enter_url(campaign), {"kind": "text", "text": "Hi"}).status_code == 404
    assert Submission.objects.count() == 0


def test_an_unverified_person_is_told_to_verify(client, campaign) -> None:
    client.force_login(UserFactory(verified=False))

    page = client.get(enter_url(campaign))
    response = client.post(enter_url(campaign), {"kind": "text", "text": "Hi"})

    assert "Verify your email address first" in text(page)
    assert not tags(page, "textarea")
    assert response.status_code == 403
    assert "Verify your email address first" in text(response)
    assert Submission.objects.count() == 0


def test_the_form_keeps_csrf_protection(campaign, participant) -> None:
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(participant)

    response = client.post(enter_url(campaign), {"kind": "text", "text": "Hi"})

    assert response.status_code == 403
    assert Submission.objects.count() == 0


def test_a_refused_upload_re_renders_the_form_area(client, campaign, participant) -> None:
    """upload-progress.js swaps in #entry-form-area from a refusal: it must be in the answer."""
    client.force_login(participant)

    response = client.post(enter_url(campaign), {"kind": "photo", "caption": "No file"})

    assert response.status_code == 400
    assert 'id="entry-form-area"' in response.content.decode()
    assert "A photo entry needs a photo." in text(response)
    assert [i["value"] for i in tags(response, "input") if i.get("name") == "caption"] == [
        "No file"
    ]


# --- My entries ------------------------------------------------------------------------------


def test_my_entries_lists_your_own_entries_with_their_state(client, participant) -> None:
    campaign = CampaignFactory(title="Trail Snapshots")
    for state, caption in [
        ("pending", "Waiting"),
        ("approved", "Live"),
        ("rejected", "Refused"),
        ("hidden", "Reported"),
    ]:
        SubmissionFactory(
            campaign=campaign,
            author=participant,
            state=state,
            caption=caption,
            state_reason="Too dark" if state == "rejected" else "",
        )
    SubmissionFactory(campaign=campaign, caption="Someone else's")
    client.force_login(participant)

    response = client.get(reverse("my-entries"))

    body = text(response)
    assert response.status_code == 200
    for caption in ("Waiting", "Live", "Refused", "Reported"):
        assert caption in body
    assert "Someone else's" not in body
    for badge in ("Pending review", "Approved", "Rejected", "Hidden pending review"):
        assert badge in body
    assert "Rejected: Too dark" in body
    assert "Trail Snapshots" in body


def test_my_entries_needs_signing_in(client) -> None:
    response = client.get(reverse("my-entries"))

    assert response["Location"] == "/accounts/login/?next=/me/entries/"


def test_the_home_page_links_cards_to_campaign_pages(client, campaign) -> None:
    response = client.get(reverse("home"))

    assert campaign_url(campaign) in {a.get("href") for a in tags(response, "a")}


def test_messages_render_in_the_active_language(client, campaign) -> None:
    """A sanity check that the Italian catalogue is compiled (the tests above rely on it)."""
    with translation.override("it"):
        assert translation.gettext("This campaign is not open for entries.") != (
            "This campaign is not open for entries."
        )


def test_upload_bytes_are_not_the_stored_bytes(client, campaign, participant) -> None:
    client.force_login(participant)
    original = imagefiles.jpeg_bytes(size=(64, 48), gps=True)

    client.post(enter_url(campaign), {"kind": "photo", "image": jpeg(data=original)})

    stored = Submission.objects.get().image
    with stored.open("rb") as handle:
        assert handle.read() != original
