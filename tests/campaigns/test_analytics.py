"""A brand's analytics page: totals, per-day charts with tables, clicks by channel, standings."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import BrandMembership
from sharing.models import Referral, ShareClick, ShareHit, ShareLink, Standing
from submissions.models import Like, Submission
from tests.factories import CampaignFactory, MembershipFactory, SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    now = timezone.now()
    return CampaignFactory(starts_at=now - timedelta(days=4), ends_at=now + timedelta(days=4))


def _url(campaign) -> str:
    return f"/brand/{campaign.brand.slug}/campaigns/{campaign.slug}/analytics/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _click(link: ShareLink, visitor: str, channel: str) -> None:
    hit = ShareHit.objects.create(link=link, visitor=visitor, method="GET", channel=channel)
    ShareClick.objects.create(
        link=link, visitor=visitor, day=timezone.now().date(), channel=channel, hit=hit
    )


def _engagement(campaign, entries: int = 2) -> None:
    for _ in range(entries):
        entry = SubmissionFactory(campaign=campaign, state=Submission.State.APPROVED)
        Like.objects.create(user=UserFactory(), submission=entry)
        link = ShareLink.objects.create(code=f"c{entry.pk}", submission=entry, owner=entry.author)
        _click(link, f"v{entry.pk}a", "whatsapp")
        _click(link, f"v{entry.pk}b", "x")
    SubmissionFactory(campaign=campaign, state=Submission.State.PENDING)


@pytest.mark.parametrize("role", ["owner", "manager", "analyst"])
def test_every_member_sees_the_numbers(campaign, role: str) -> None:
    _engagement(campaign)
    entry = Submission.objects.filter(state=Submission.State.APPROVED).first()
    link = ShareLink.objects.get(submission=entry)
    Referral.objects.create(
        link=link, referred=UserFactory(), arrived_at=timezone.now(), verified_at=timezone.now()
    )
    Standing.objects.create(campaign=campaign, participant=entry.author, points=12, reached_ms=1)
    member = MembershipFactory(brand=campaign.brand, role=role).user

    response = _client(member).get(_url(campaign))

    page = response.content.decode()
    assert response.status_code == 200
    totals = response.context["a"]
    assert totals.likes == 2
    assert totals.clicks == 4
    assert totals.referrals == 1
    assert totals.entries_by_state["approved"] == 2
    assert totals.entries_by_state["pending"] == 1
    assert [(label, count) for _code, label, count in totals.clicks_by_channel] == [
        ("WhatsApp", 2),
        ("X", 2),
    ]
    assert page.count("<svg") == 4
    assert page.count('role="img"') == 4
    assert len(re.findall(r"<title id=\"chart-", page)) == 4
    assert entry.author.email not in page


@pytest.mark.parametrize("actor", ["other_brand", "participant"])
def test_outsiders_get_404(campaign, actor: str) -> None:
    user = (
        MembershipFactory(role=BrandMembership.Role.OWNER).user
        if actor == "other_brand"
        else UserFactory()
    )

    assert _client(user).get(_url(campaign)).status_code == 404


def test_anonymous_is_sent_to_login(campaign) -> None:
    response = Client().get(_url(campaign))

    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_query_count_does_not_grow_with_engagement(campaign) -> None:
    owner = MembershipFactory(brand=campaign.brand, role=BrandMembership.Role.OWNER).user
    client = _client(owner)
    _engagement(campaign, entries=2)
    client.get(_url(campaign))

    with CaptureQueriesContext(connection) as few:
        client.get(_url(campaign))
    _engagement(campaign, entries=15)
    with CaptureQueriesContext(connection) as many:
        client.get(_url(campaign))

    assert len(many) == len(few)
