"""Rebuild leaderboards from the ledger and repair what was derived from the facts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from campaigns.models import Campaign
from sharing.points import campaign_engagement_repair, campaigns_to_rebuild


class Command(BaseCommand):
    help = (
        "Derive every like and moderation decision whose task never ran, repair like counts, "
        "recompute standings from the points ledger and rebuild the Redis leaderboards. "
        "Without --campaign: open campaigns and those closed in the last two days."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--campaign", metavar="SLUG", help="Only this campaign (any phase).")
        parser.add_argument(
            "--derive-all",
            action="store_true",
            help="Derive every entry again, not only those that look out of date (slower).",
        )

    def handle(self, *args: Any, campaign: str | None, derive_all: bool, **options: Any) -> None:
        if campaign:
            found = Campaign.objects.filter(slug=campaign).values_list("pk", "slug").first()
            if found is None:
                raise CommandError(f"No campaign with the slug {campaign!r}.")
            targets = [found]
        else:
            ids = campaigns_to_rebuild()
            targets = list(
                Campaign.objects.filter(pk__in=ids).order_by("pk").values_list("pk", "slug")
            )
        if not targets:
            self.stdout.write("No campaign to rebuild.")
            return
        for campaign_id, slug in targets:
            result = campaign_engagement_repair(campaign_id=campaign_id, derive_all=derive_all)
            redis = "Redis rebuilt" if result.redis else "Redis not used"
            line = (
                f"{slug}: {len(result.derived)} entries derived, "
                f"{result.participants} standings recomputed, {redis}"
            )
            if result.failed:
                line += f", {len(result.failed)} entries FAILED (see the log): {result.failed}"
                self.stderr.write(line)
            else:
                self.stdout.write(line)
