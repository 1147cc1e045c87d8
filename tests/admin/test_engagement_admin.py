"""Staff can look into share links, hits, clicks, referrals and the ledger; nobody edits them."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from sharing.clicks import clicks_derive, share_hit_record
from sharing.links import share_link_get_or_create, share_target_get
from sharing.models import PointEvent, Referral, ShareClick, ShareHit, ShareLink
from tests.factories import CampaignFactory, SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db

MODELS = [ShareLink, ShareHit, ShareClick, Referral, PointEvent]


@pytest.fixture
def facts() -> dict[type, object]:
    from django.contrib.auth.models import AnonymousUser

    entry = SubmissionFactory(campaign=CampaignFactory())
    link = share_link_get_or_create(submission=entry, owner=entry.author)
    request = RequestFactory().get(
        f"/s/{link.code}?c=whatsapp",
        headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/127.0"},
        REMOTE_ADDR="192.0.2.7",
    )
    request.user = AnonymousUser()
    share_hit_record(request=request, target=share_target_get(code=link.code), now=timezone.now())
    clicks_derive()
    Referral.objects.create(link=link, referred=UserFactory(), arrived_at=timezone.now())
    return {model: model.objects.order_by("pk").last() for model in MODELS}


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_staff_see_each_list_and_record_but_cannot_change_them(
    admin_client: Client, facts, model
) -> None:
    obj = facts[model]
    assert obj is not None
    meta = model._meta
    changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    change = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])

    assert admin_client.get(changelist).status_code == 200
    page = admin_client.get(change)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content  # read-only: no save button
    assert admin_client.get(f"{changelist}add/").status_code == 403
    before = model.objects.count()
    assert (
        admin_client.post(change.replace("/change/", "/delete/"), {"post": "yes"}).status_code
        == 403
    )
    assert model.objects.count() == before


def test_a_person_who_is_not_staff_is_sent_to_sign_in(client: Client, facts) -> None:
    client.force_login(UserFactory())

    response = client.get(reverse("admin:sharing_sharehit_changelist"))

    assert response.status_code == 302
    assert ShareHit.objects.count() == 1
