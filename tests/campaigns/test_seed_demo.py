"""`manage.py seed_demo`: the demo it promises, created once, with clean pictures."""

from __future__ import annotations

import re
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from accounts.models import Brand, BrandMembership, User
from campaigns.demo import ADMIN_EMAIL, ADMIN_PASSWORD, DEMO_PASSWORD, TRAIL_PALETTES, art_draw
from campaigns.models import Campaign
from submissions.models import Submission

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _development_mode(settings) -> None:
    """seed_demo is a development tool; the tests about DEBUG off say so themselves."""
    settings.DEBUG = True


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def seed(**options: object) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("seed_demo", quiet=True, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def snapshot(media: Path) -> dict[str, object]:
    """Every row of every table, and every stored file with its size."""
    rows: dict[str, object] = {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in apps.get_models()
    }
    rows["media"] = sorted(
        (str(path.relative_to(media)), path.stat().st_size)
        for path in media.rglob("*")
        if path.is_file()
    )
    return rows


def test_seed_creates_the_demo_it_promises(media: Path) -> None:
    seed()

    assert Brand.objects.count() == 2
    for brand in Brand.objects.all():
        roles = Counter(brand.memberships.values_list("role", flat=True))
        assert roles == {"owner": 1, "manager": 1, "analyst": 1}
        assert brand.campaigns.count() == 2

    campaigns = list(Campaign.objects.all())
    assert Counter(campaign.phase for campaign in campaigns) == {
        Campaign.Phase.OPEN: 2,
        Campaign.Phase.SCHEDULED: 1,
        Campaign.Phase.DRAFT: 1,
    }
    assert all(campaign.cover and campaign.cover_width == 1600 for campaign in campaigns)

    participants = User.objects.filter(memberships__isnull=True, is_staff=False)
    assert participants.count() == 30
    assert set(participants.values_list("language", flat=True)) == {"it", "en"}
    assert all(participant.display_name for participant in participants)

    unverified = User.objects.exclude(emailaddress__verified=True, emailaddress__primary=True)
    assert not unverified.exists()
    owner = BrandMembership.objects.filter(role=BrandMembership.Role.OWNER).first().user
    assert owner.check_password(DEMO_PASSWORD)
    assert participants.first().check_password(DEMO_PASSWORD)


def test_seed_fills_only_open_campaigns_with_mostly_approved_entries(media: Path) -> None:
    seed()

    entries = Submission.objects.select_related("campaign")
    assert {entry.campaign.phase for entry in entries} == {Campaign.Phase.OPEN}
    assert entries.values("campaign").distinct().count() == 2
    states = Counter(entries.values_list("state", flat=True))
    assert set(states) == {Submission.State.APPROVED, Submission.State.PENDING}
    assert states[Submission.State.APPROVED] > 3 * states[Submission.State.PENDING]
    kinds = Counter(entries.values_list("kind", flat=True))
    assert kinds[Submission.Kind.PHOTO] > kinds[Submission.Kind.TEXT] > 0
    assert not entries.filter(author__memberships__isnull=False).exists()
    for entry in entries.filter(kind=Submission.Kind.PHOTO):
        with Image.open(entry.image.path) as img:
            assert img.size == (entry.image_width, entry.image_height)
    for entry in entries:
        assert entry.campaign.starts_at <= entry.created_at


def test_second_run_creates_and_changes_nothing(media: Path) -> None:
    seed()
    before = snapshot(media)

    out, _err = seed()

    assert snapshot(media) == before
    assert re.search(r"entries\s+0\s+34\b", out)


def test_stored_pictures_carry_no_metadata(media: Path) -> None:
    # The drawn source photos carry camera and GPS EXIF, so the pipeline has something to strip.
    source = Image.open(art_draw(style="mountains", seed="test", palettes=TRAIL_PALETTES))
    assert source.getexif().get_ifd(0x8825)

    seed()

    stored = [c.cover.path for c in Campaign.objects.all()]
    stored += [s.image.path for s in Submission.objects.filter(kind=Submission.Kind.PHOTO)]
    assert len(stored) == 4 + Submission.objects.filter(kind=Submission.Kind.PHOTO).count()
    for path in stored:
        assert Path(path).is_relative_to(media)
        with Image.open(path) as img:
            assert not img.getexif()
            assert "exif" not in img.info
            assert "icc_profile" not in img.info


def test_refuses_to_run_without_debug(media: Path, settings) -> None:
    settings.DEBUG = False

    with pytest.raises(CommandError, match="public passwords"):
        seed()

    assert not User.objects.exists()


def test_no_superuser_without_debug_even_when_forced(media: Path, settings) -> None:
    settings.DEBUG = False

    out, err = seed(force=True)

    assert not User.objects.filter(is_superuser=True).exists()
    assert ADMIN_EMAIL in err
    assert ADMIN_PASSWORD not in out


def test_verified_superuser_with_debug(media: Path, settings) -> None:
    settings.DEBUG = True

    out, _err = seed()

    admin = User.objects.get(email=ADMIN_EMAIL)
    assert admin.is_staff
    assert admin.is_superuser
    assert admin.check_password(ADMIN_PASSWORD)
    assert EmailAddress.objects.filter(user=admin, verified=True, primary=True).exists()
    assert ADMIN_PASSWORD in out
