"""Referrals through allauth's real pages: follow a share link, sign up, verify, and the sharer
is credited exactly once; an old cookie, one's own link or a repeated signal credit nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed
from django.core import mail
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from sharing.models import PointEvent, Referral, Standing
from sharing.referrals import (
    COOKIE_NAME,
    referral_capture,
    referral_cookie_set,
    referral_verify,
)

pytestmark = pytest.mark.django_db

PASSWORD = "purple-otter-swims-at-dawn"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def _sign_up(client: Client, email: str) -> User:
    response = client.post(
        reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302, response.content[:500]
    return User.objects.get(email=email)


def _confirm(client: Client, email: str) -> None:
    message = next(m for m in reversed(mail.outbox) if m.to == [email])
    path = re.search(r"https?://testserver(/accounts/confirm-email/\S+)", message.body).group(1)
    assert client.post(path).status_code == 302
    assert EmailAddress.objects.get(email=email).verified


def _referral_points(user: User) -> list[int]:
    return list(
        PointEvent.objects.filter(participant=user, kind="referral").values_list(
            "points", flat=True
        )
    )


def _old_cookie(client: Client, link, days: int) -> None:
    """Put a referral cookie on the client as if the visitor had arrived `days` ago."""
    response = HttpResponse()
    arrived = timezone.now() - timedelta(days=days)
    referral_cookie_set(response, request=RequestFactory().get("/"), link_id=link.pk, now=arrived)
    client.cookies[COOKIE_NAME] = response.cookies[COOKIE_NAME].value


def test_following_a_link_signing_up_and_verifying_credits_the_sharer_once(
    link, author, campaign
) -> None:
    visitor = Client()

    response = visitor.get(f"/s/{link.code}", headers={"User-Agent": BROWSER})

    cookie = response.cookies[COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 30 * 24 * 3600
    assert not cookie["secure"]  # plain http here; set on https (see the next test)

    newcomer = _sign_up(visitor, "friend@example.com")
    referral = Referral.objects.get()
    assert (referral.link, referral.referred, referral.verified_at) == (link, newcomer, None)
    assert _referral_points(author) == []  # not until the email is verified

    _confirm(visitor, "friend@example.com")

    referral.refresh_from_db()
    assert referral.verified_at is not None
    assert _referral_points(author) == [campaign.points_referral]
    assert PointEvent.objects.get(kind="referral").key == f"referral:{referral.pk}"
    standing = Standing.objects.get(campaign=campaign, participant=author)
    assert standing.points == campaign.points_referral

    # The signal again (a second address, a replayed confirmation): nothing more.
    email_confirmed.send(
        sender=EmailAddress, request=None, email_address=EmailAddress.objects.get(user=newcomer)
    )
    second = EmailAddress.objects.create(user=newcomer, email="friend2@example.com")
    email_confirmed.send(sender=EmailAddress, request=None, email_address=second)
    assert referral_verify(user=newcomer) is None
    assert _referral_points(author) == [campaign.points_referral]
    assert Standing.objects.get(campaign=campaign, participant=author).points == 5


def test_the_cookie_is_secure_over_https(link) -> None:
    response = Client().get(f"/s/{link.code}", secure=True, headers={"User-Agent": BROWSER})

    assert response.cookies[COOKIE_NAME]["secure"]


def test_a_cookie_older_than_30_days_credits_nothing(link, author) -> None:
    visitor = Client()
    _old_cookie(visitor, link, days=31)

    _sign_up(visitor, "late@example.com")
    _confirm(visitor, "late@example.com")

    assert not Referral.objects.exists()
    assert _referral_points(author) == []


def test_a_cookie_of_29_days_still_counts(link, author, campaign) -> None:
    visitor = Client()
    _old_cookie(visitor, link, days=29)

    _sign_up(visitor, "justintime@example.com")
    _confirm(visitor, "justintime@example.com")

    assert _referral_points(author) == [campaign.points_referral]


def test_verifying_more_than_30_days_after_arriving_credits_nothing(link, author) -> None:
    visitor = Client()
    visitor.get(f"/s/{link.code}", headers={"User-Agent": BROWSER})
    newcomer = _sign_up(visitor, "slow@example.com")
    referral = Referral.objects.get()

    assert referral_verify(user=newcomer, now=referral.arrived_at + timedelta(days=31)) is None

    referral.refresh_from_db()
    assert referral.verified_at is None
    assert _referral_points(author) == []


def test_a_tampered_cookie_credits_nothing(link, author) -> None:
    visitor = Client()
    visitor.get(f"/s/{link.code}", headers={"User-Agent": BROWSER})
    value = visitor.cookies[COOKIE_NAME].value
    visitor.cookies[COOKIE_NAME] = value.replace(f"{link.pk}:", f"{link.pk + 1000}:", 1)

    _sign_up(visitor, "forger@example.com")

    assert not Referral.objects.exists()


def test_the_owner_following_their_own_link_gets_no_cookie(link, author) -> None:
    owner = Client()
    owner.force_login(author)

    response = owner.get(f"/s/{link.code}", headers={"User-Agent": BROWSER})

    assert response.status_code == 302
    assert COOKIE_NAME not in response.cookies


def test_the_sharer_is_never_their_own_referral(link, author) -> None:
    response = HttpResponse()
    request = RequestFactory().get("/")
    referral_cookie_set(response, request=request, link_id=link.pk, now=timezone.now())
    request.COOKIES[COOKIE_NAME] = response.cookies[COOKIE_NAME].value

    assert referral_capture(request=request, user=author) is None
    assert not Referral.objects.exists()


def test_signing_up_without_a_cookie_makes_no_referral(link) -> None:
    visitor = Client()
    _sign_up(visitor, "direct@example.com")
    _confirm(visitor, "direct@example.com")

    assert not Referral.objects.exists()


def test_two_newcomers_through_one_link_are_two_referrals(link, author, campaign) -> None:
    for email in ("one@example.com", "two@example.com"):
        visitor = Client()
        visitor.get(f"/s/{link.code}", headers={"User-Agent": BROWSER})
        _sign_up(visitor, email)
        _confirm(visitor, email)

    assert Referral.objects.filter(verified_at__isnull=False).count() == 2
    assert _referral_points(author) == [campaign.points_referral] * 2


def test_a_second_sign_up_in_the_same_browser_is_not_a_referral(link, author, campaign) -> None:
    visitor = Client()
    visitor.get(f"/s/{link.code}", headers={"User-Agent": BROWSER})

    first = _sign_up(visitor, "first@example.com")
    assert visitor.cookies[COOKIE_NAME].value == ""  # deleted by the sign-up's response
    visitor.post(reverse("account_logout"))
    second = _sign_up(visitor, "second@example.com")
    _confirm(visitor, "second@example.com")

    assert list(Referral.objects.values_list("referred", flat=True)) == [first.pk]
    assert not Referral.objects.filter(referred=second).exists()
    assert _referral_points(author) == []  # the first has not verified yet


def test_a_sign_up_without_a_referral_leaves_other_cookies_alone(link) -> None:
    visitor = Client()

    response = visitor.post(
        reverse("account_signup"),
        {"email": "plain@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert response.status_code == 302
    assert COOKIE_NAME not in response.cookies
