"""Fill the database with the demo; safe to run any number of times."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from campaigns.demo import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    BRANDS,
    DEMO_PASSWORD,
    LABELS,
    PARTICIPANTS,
    demo_seed,
    demo_step_count,
)


class Command(BaseCommand):
    help = (
        "Create a fixed demo (2 brands and their teams, 4 campaigns, 30 participants, entries). "
        "Idempotent: what already exists is left as it is. The staff superuser "
        f"{ADMIN_EMAIL} is created only when DEBUG is on."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="Hide the progress bar.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with DEBUG off (a staging site); the superuser is still skipped.",
        )

    def handle(
        self,
        *args: Any,
        quiet: bool = False,
        force: bool = False,
        verbosity: int = 1,
        **options: Any,
    ) -> None:
        include_admin = bool(settings.DEBUG)
        if not include_admin and not force:
            raise CommandError(
                "DEBUG is off: the demo accounts have public passwords, so seed_demo refuses to "
                "run on what may be a production site. Use --force on a staging site."
            )
        if not include_admin:
            self.stderr.write(
                self.style.WARNING(
                    f"DEBUG is off: skipping the demo superuser {ADMIN_EMAIL}, whose password "
                    "is public."
                )
            )
        started = time.monotonic()
        # tqdm redraws a line with "\r"; Django's OutputWrapper would append a newline to every
        # write, so the bar writes to the stream it wraps (still the one call_command was given).
        with tqdm(
            total=demo_step_count(include_admin=include_admin),
            desc="Seeding demo",
            unit="step",
            file=self.stderr._out,
            disable=quiet or verbosity == 0,
            leave=False,
        ) as bar:

            def step(label: str) -> None:
                bar.set_postfix_str(label[:48], refresh=False)
                bar.update()

            report = demo_seed(include_admin=include_admin, step=step)
        elapsed = time.monotonic() - started

        if verbosity == 0:
            return
        for line in report.skipped:
            self.stderr.write(self.style.WARNING(f"Skipped {line}."))
        out = self.stdout
        out.write(self.style.SUCCESS(f"Demo ready in {elapsed:.1f} s."))
        out.write(f"  {'':<16}{'created':>8}{'existing':>10}")
        for label in LABELS:
            out.write(f"  {label:<16}{report.created[label]:>8}{report.existing[label]:>10}")
        out.write("")
        out.write(f'Every demo account signs in with the password "{DEMO_PASSWORD}":')
        for brand in BRANDS:
            for person, role in brand.team:
                out.write(f"  {person.email:<40} {role} of {brand.name}")
        out.write(
            f"  {PARTICIPANTS[0].email:<40} one of {len(PARTICIPANTS)} participants "
            "(all at example.com)"
        )
        if include_admin:
            out.write(
                f'Staff superuser (DEBUG only): {ADMIN_EMAIL} with the password "{ADMIN_PASSWORD}"'
            )
