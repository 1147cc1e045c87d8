from __future__ import annotations

from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import Brand, BrandMembership, User
from campaigns.models import Campaign
from submissions.models import Submission

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    display_name = factory.Faker("name")
    language = "en"
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, primary=True, verified=True)


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand

    name = factory.Sequence(lambda n: f"Brand {n}")
    slug = factory.Sequence(lambda n: f"brand-{n}")
    time_zone = "Europe/Rome"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BrandMembership

    brand = factory.SubFactory(BrandFactory)
    user = factory.SubFactory(UserFactory)
    role = BrandMembership.Role.OWNER


class CampaignFactory(factory.django.DjangoModelFactory):
    """An open, published campaign unless told otherwise."""

    class Meta:
        model = Campaign

    brand = factory.SubFactory(BrandFactory)
    title = factory.Sequence(lambda n: f"Campaign {n}")
    slug = factory.Sequence(lambda n: f"campaign-{n}")
    brief = "Show us your best moment."
    status = Campaign.Status.PUBLISHED
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(days=14))


class SubmissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Submission

    campaign = factory.SubFactory(CampaignFactory)
    author = factory.SubFactory(UserFactory)
    kind = Submission.Kind.TEXT
    text = "My story with this brand."
    state = Submission.State.APPROVED


# --- Entries: terms, comments, reports, moderation -------------------------------------------


class CampaignTermsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "campaigns.CampaignTerms"

    campaign = factory.SubFactory(CampaignFactory)
    version = factory.Sequence(lambda n: n + 1)
    text = "Your entry is your own work; we may show it on our channels."


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "submissions.Comment"

    submission = factory.SubFactory(SubmissionFactory)
    author = factory.SubFactory(UserFactory)
    body = "Lovely!"


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "submissions.Report"

    reporter = factory.SubFactory(UserFactory)
    submission = factory.SubFactory(SubmissionFactory)
    reason = "spam"


class StaffFactory(UserFactory):
    is_staff = True


class InvitationFactory(factory.django.DjangoModelFactory):
    """A pending invitation to a brand, made by one of its owners."""

    class Meta:
        model = "accounts.BrandInvitation"

    brand = factory.SubFactory(BrandFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = BrandMembership.Role.MANAGER
    token = factory.Sequence(lambda n: f"invitation-token-{n:04d}")
    invited_by = factory.LazyAttribute(
        lambda o: MembershipFactory(brand=o.brand, role=BrandMembership.Role.OWNER).user
    )
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


# --- Engagement: likes, the points ledger ----------------------------------------------------


class LikeFactory(factory.django.DjangoModelFactory):
    """A live like, written as the service would (its derivation is up to the test)."""

    class Meta:
        model = "submissions.Like"

    user = factory.SubFactory(UserFactory)
    submission = factory.SubFactory(SubmissionFactory)


class PointEventFactory(factory.django.DjangoModelFactory):
    """A ledger line; `created_at` is set by the database, move it with a queryset update."""

    class Meta:
        model = "sharing.PointEvent"

    campaign = factory.SubFactory(CampaignFactory)
    participant = factory.SubFactory(UserFactory)
    kind = "like"
    points = 1
    key = factory.Sequence(lambda n: f"test:{n}")
