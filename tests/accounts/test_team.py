"""A brand's team: owners invite by email, change roles and remove people; anyone may leave."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Brand, BrandInvitation, BrandMembership, User
from accounts.services import brand_invitation_create
from tests.factories import BrandFactory, InvitationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

Role = BrandMembership.Role


@dataclass
class Team:
    acme: Brand
    users: dict[str, User]

    def client(self, actor: str) -> Client:
        client = Client()
        if actor != "anonymous":
            client.force_login(self.users[actor])
        return client

    def role(self, actor: str) -> str | None:
        membership = BrandMembership.objects.filter(brand=self.acme, user=self.users[actor]).first()
        return membership.role if membership else None


@pytest.fixture
def team() -> Team:
    acme = BrandFactory(name="Acme", slug="acme")
    users = {
        "owner": MembershipFactory(brand=acme, role=Role.OWNER, user__display_name="Olga").user,
        "manager": MembershipFactory(brand=acme, role=Role.MANAGER).user,
        "analyst": MembershipFactory(brand=acme, role=Role.ANALYST).user,
        "invitee": UserFactory(email="newbie@example.com", language="en"),
        "stranger": UserFactory(email="stranger@example.com"),
    }
    return Team(acme, users)


def _invite(team: Team, actor: str = "owner", **data: str):
    payload = {"email": "newbie@example.com", "role": Role.MANAGER} | data
    return team.client(actor).post(reverse("brand-team-invite", args=["acme"]), payload)


def _accept_url(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://\S+(/invitations/[\w-]+/)", message.body)
    assert match, message.body
    return match.group(1)


# --- Inviting ----------------------------------------------------------------------------------


def test_owner_invites_by_email_and_the_invitee_accepts(
    team: Team, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(team)

    assert response.status_code == 302
    assert response["Location"] == reverse("brand-team", args=["acme"])
    invitation = BrandInvitation.objects.get()
    assert (invitation.email, invitation.role) == ("newbie@example.com", Role.MANAGER)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["newbie@example.com"]
    assert "Acme" in message.subject
    assert "Olga" in message.body
    url = _accept_url(message)
    assert url == reverse("brand-invitation-accept", args=[invitation.token])

    page = team.client("invitee").get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Acme" in body
    assert "Manager" in body
    assert "Olga" in body

    accepted = team.client("invitee").post(url)

    assert accepted.status_code == 302
    assert accepted["Location"] == reverse("brand-dashboard")
    assert team.role("invitee") == Role.MANAGER
    invitation.refresh_from_db()
    assert invitation.accepted_by == team.users["invitee"]
    assert team.client("invitee").get(reverse("brand-team", args=["acme"])).status_code == 200


@pytest.mark.parametrize(
    ("language", "words"),
    [("it", ["Analista", "gennaio"]), ("en", ["Analyst", "Jan."])],
)
def test_the_invitation_email_speaks_the_invitees_language(
    team: Team, language: str, words: list[str], django_capture_on_commit_callbacks
) -> None:
    User.objects.filter(pk=team.users["invitee"].pk).update(language=language)

    with django_capture_on_commit_callbacks(execute=True):
        brand_invitation_create(
            brand=team.acme,
            actor=team.users["owner"],
            email="newbie@example.com",
            role=Role.ANALYST,
            now=datetime(2027, 1, 3, 12, 0, tzinfo=UTC),
        )

    body = mail.outbox[0].body.lower()
    # The role and the expiry date (10 January) in their language.
    assert all(word.lower() in body for word in words), body


def test_an_address_with_no_account_gets_the_senders_language(
    team: Team, django_capture_on_commit_callbacks
) -> None:
    client = team.client("owner")
    client.cookies["pp_language"] = "it"
    User.objects.filter(pk=team.users["owner"].pk).update(language="it")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("brand-team-invite", args=["acme"]),
            {"email": "nobody-yet@example.com", "role": Role.ANALYST},
        )

    assert response.status_code == 302
    expires = BrandInvitation.objects.get().expires_at
    months_it = ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio"]
    months_it += ["agosto", "settembre", "ottobre", "novembre", "dicembre"]
    assert months_it[expires.month - 1] in mail.outbox[0].body.lower()
    assert "Analista" in mail.outbox[0].body


@pytest.mark.parametrize("actor", ["manager", "analyst"])
def test_only_owners_invite(team: Team, actor: str, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(team, actor)

    assert response.status_code == 403
    assert "Only an owner" in response.content.decode() or "Analysts" in response.content.decode()
    assert not BrandInvitation.objects.exists()
    assert mail.outbox == []


def test_a_second_pending_invitation_for_the_same_address_is_a_409(
    team: Team, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _invite(team)
        response = _invite(team, email="NewBie@Example.com", role=Role.ANALYST)

    assert response.status_code == 409
    assert "already has a pending invitation" in response.content.decode()
    assert BrandInvitation.objects.count() == 1
    assert len(mail.outbox) == 1


def test_inviting_a_member_is_a_409(team: Team) -> None:
    response = _invite(team, email=team.users["analyst"].email)

    assert response.status_code == 409
    assert "is already a member" in response.content.decode()
    assert not BrandInvitation.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-address"}, "Enter a valid email address."),
        ({"email": ""}, "This field is required."),
        ({"role": "emperor"}, "Select a valid choice."),
    ],
)
def test_bad_invitations_are_400_with_a_message(
    team: Team, data: dict[str, str], message: str
) -> None:
    response = _invite(team, **data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not BrandInvitation.objects.exists()


def test_the_owner_sees_and_revokes_pending_invitations(team: Team) -> None:
    invitation = InvitationFactory(brand=team.acme, invited_by=team.users["owner"])
    InvitationFactory(brand=team.acme, expires_at=timezone.now() - timedelta(minutes=1))
    url = reverse("brand-team", args=["acme"])

    body = team.client("owner").get(url).content.decode()
    assert invitation.email in body
    assert body.count("Revoke<") == 1  # the expired one is not pending any more
    assert invitation.email not in team.client("manager").get(url).content.decode()

    response = team.client("owner").post(
        reverse("brand-invitation-revoke", args=["acme", invitation.pk])
    )

    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


@pytest.mark.parametrize("actor", ["manager", "analyst"])
def test_only_owners_revoke(team: Team, actor: str) -> None:
    invitation = InvitationFactory(brand=team.acme)

    response = team.client(actor).post(
        reverse("brand-invitation-revoke", args=["acme", invitation.pk])
    )

    assert response.status_code == 403
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_revoking_twice_is_a_409(team: Team) -> None:
    invitation = InvitationFactory(brand=team.acme, revoked_at=timezone.now())

    response = team.client("owner").post(
        reverse("brand-invitation-revoke", args=["acme", invitation.pk])
    )

    assert response.status_code == 409


# --- Accepting ---------------------------------------------------------------------------------


def _pending(team: Team, **fields: object) -> BrandInvitation:
    defaults = {"email": "newbie@example.com", "role": Role.ANALYST}
    return InvitationFactory(brand=team.acme, invited_by=team.users["owner"], **defaults | fields)


def test_accepting_with_another_address_is_403(team: Team) -> None:
    invitation = _pending(team)
    url = reverse("brand-invitation-accept", args=[invitation.token])

    response = team.client("stranger").post(url)

    assert response.status_code == 403
    body = response.content.decode()
    assert "This invitation was sent to newbie@example.com" in body
    assert team.role("stranger") is None
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_accepting_with_the_right_address_unverified_is_403(team: Team) -> None:
    invitation = _pending(team)
    EmailAddress.objects.filter(user=team.users["invitee"]).update(verified=False)

    response = team.client("invitee").post(
        reverse("brand-invitation-accept", args=[invitation.token])
    )

    assert response.status_code == 403
    assert team.role("invitee") is None


def test_a_secondary_verified_address_may_accept(team: Team) -> None:
    invitation = _pending(team, email="work@example.com")
    EmailAddress.objects.create(
        user=team.users["stranger"], email="work@example.com", verified=True, primary=False
    )

    response = team.client("stranger").post(
        reverse("brand-invitation-accept", args=[invitation.token])
    )

    assert response.status_code == 302
    assert team.role("stranger") == Role.ANALYST


@pytest.mark.parametrize("state", ["expired", "revoked", "used", "unknown"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_link_no_longer_valid_is_a_clear_400(team: Team, state: str, method: str) -> None:
    now = timezone.now()
    fields = {
        "expired": {"expires_at": now - timedelta(seconds=1)},
        "revoked": {"revoked_at": now},
        "used": {"accepted_at": now, "accepted_by": team.users["stranger"]},
        "unknown": {},
    }[state]
    invitation = _pending(team, **fields)
    token = "no-such-token" if state == "unknown" else invitation.token

    response = getattr(team.client("invitee"), method)(
        reverse("brand-invitation-accept", args=[token])
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "This invitation link is not valid any more" in body
    assert "Accept the invitation" not in body
    assert team.role("invitee") is None


def test_an_anonymous_visitor_sees_the_invitation_and_is_sent_to_sign_in(team: Team) -> None:
    invitation = _pending(team)
    url = reverse("brand-invitation-accept", args=[invitation.token])

    page = Client().get(url)
    post = Client().post(url)

    assert page.status_code == 200
    body = page.content.decode()
    assert f"{reverse('account_login')}?next={url}" in body
    assert f"{reverse('account_signup')}?next={url}" in body
    assert post.status_code == 302
    assert post["Location"] == f"{reverse('account_login')}?next={url}"
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


# --- Roles, removal, leaving -------------------------------------------------------------------


def test_owner_changes_a_members_role(team: Team) -> None:
    response = team.client("owner").post(
        reverse("brand-team-role", args=["acme", team.users["analyst"].pk]), {"role": "manager"}
    )

    assert response.status_code == 302
    assert team.role("analyst") == Role.MANAGER


@pytest.mark.parametrize("actor", ["manager", "analyst"])
def test_only_owners_change_roles(team: Team, actor: str) -> None:
    response = team.client(actor).post(
        reverse("brand-team-role", args=["acme", team.users["analyst"].pk]), {"role": "owner"}
    )

    assert response.status_code == 403
    assert team.role("analyst") == Role.ANALYST


def test_an_unknown_role_is_400(team: Team) -> None:
    response = team.client("owner").post(
        reverse("brand-team-role", args=["acme", team.users["analyst"].pk]), {"role": "emperor"}
    )

    assert response.status_code == 400
    assert "Unknown role." in response.content.decode()
    assert team.role("analyst") == Role.ANALYST


def test_the_last_owner_cannot_be_demoted(team: Team) -> None:
    response = team.client("owner").post(
        reverse("brand-team-role", args=["acme", team.users["owner"].pk]), {"role": "analyst"}
    )

    assert response.status_code == 400
    assert "A brand must keep at least one owner." in response.content.decode()
    assert team.role("owner") == Role.OWNER


def test_an_owner_can_step_down_when_another_owner_remains(team: Team) -> None:
    MembershipFactory(brand=team.acme, role=Role.OWNER)

    team.client("owner").post(
        reverse("brand-team-role", args=["acme", team.users["owner"].pk]), {"role": "manager"}
    )

    assert team.role("owner") == Role.MANAGER


def test_owner_removes_a_member(team: Team) -> None:
    response = team.client("owner").post(
        reverse("brand-team-remove", args=["acme", team.users["manager"].pk])
    )

    assert response.status_code == 302
    assert team.role("manager") is None
    assert team.client("manager").get(reverse("brand-team", args=["acme"])).status_code == 404


@pytest.mark.parametrize("actor", ["manager", "analyst"])
def test_only_owners_remove_others(team: Team, actor: str) -> None:
    response = team.client(actor).post(
        reverse("brand-team-remove", args=["acme", team.users["owner"].pk])
    )

    assert response.status_code == 403
    assert team.role("owner") == Role.OWNER


@pytest.mark.parametrize("how", ["remove", "leave"])
def test_the_last_owner_cannot_be_removed(team: Team, how: str) -> None:
    url = (
        reverse("brand-team-remove", args=["acme", team.users["owner"].pk])
        if how == "remove"
        else reverse("brand-team-leave", args=["acme"])
    )

    response = team.client("owner").post(url)

    assert response.status_code == 400
    assert "A brand must keep at least one owner." in response.content.decode()
    assert team.role("owner") == Role.OWNER


@pytest.mark.parametrize("actor", ["manager", "analyst"])
def test_a_member_can_leave(team: Team, actor: str) -> None:
    response = team.client(actor).post(reverse("brand-team-leave", args=["acme"]))

    assert response.status_code == 302
    assert response["Location"] == reverse("brand-dashboard")
    assert team.role(actor) is None


def test_the_team_page_lists_members_with_roles_and_owner_controls(team: Team) -> None:
    url = reverse("brand-team", args=["acme"])

    owner_view = team.client("owner").get(url).content.decode()
    analyst_view = team.client("analyst").get(url).content.decode()

    for user in (team.users["manager"], team.users["analyst"]):
        assert user.email in owner_view
        assert user.email in analyst_view
    assert reverse("brand-team-invite", args=["acme"]) in owner_view
    assert reverse("brand-team-invite", args=["acme"]) not in analyst_view
    assert reverse("brand-team-role", args=["acme", team.users["analyst"].pk]) in owner_view
    assert "brand-team-role" not in analyst_view
    assert reverse("brand-team-leave", args=["acme"]) in analyst_view


def test_an_owner_removing_themselves_lands_on_the_dashboard(team: Team) -> None:
    MembershipFactory(brand=team.acme, role=Role.OWNER)

    response = team.client("owner").post(
        reverse("brand-team-remove", args=["acme", team.users["owner"].pk])
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("brand-dashboard")
    assert team.role("owner") is None


def _team_page_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("brand-team", args=["acme"]))
    assert response.status_code == 200
    return len(queries)


def test_team_page_query_count_does_not_grow_with_members_or_invitations(team: Team) -> None:
    client = team.client("owner")
    InvitationFactory(brand=team.acme, invited_by=team.users["owner"])
    small = _team_page_queries(client)

    MembershipFactory.create_batch(8, brand=team.acme, role=Role.ANALYST)
    for inviter in MembershipFactory.create_batch(5, brand=team.acme, role=Role.OWNER):
        InvitationFactory(brand=team.acme, invited_by=inviter.user)

    assert _team_page_queries(client) == small
