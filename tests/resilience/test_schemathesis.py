"""Schemathesis against /api/schema/: what the API answers is what its schema promises.

A live server on the test database, seeded with a brand, its campaigns, entries and comments, is
fuzzed operation by operation as three actors: anonymous, a verified participant and the brand's
owner (both with `Authorization: Token`). Each operation gets generated cases in three flavours:
valid input, invalid input (negative mode), and valid input aimed at the seeded objects (so the
cases reach past the 404 of a random slug). Every response must be no server error, and its
status code, content type and body must be ones the schema documents for that operation.

Failures are collected, not raised, so one run reports all of them and Hypothesis does not
shrink; the seed is fixed (`derandomize`), so a failure comes back on the next run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import BrandMembership
from campaigns.models import Campaign
from tests.factories import (
    CampaignFactory,
    CommentFactory,
    MembershipFactory,
    SubmissionFactory,
    UserFactory,
)
from tests.resilience.profile import scale

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Cases per operation and generation flavour (valid, invalid, aimed at seeded objects).
MAX_EXAMPLES = scale(4, 50)
ACTORS = ("anonymous", "participant", "brand")


def _token(user) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.create(user=user).key


@pytest.fixture
def seeded() -> dict[str, Any]:
    """A brand with an open campaign full of entries, a draft, a participant and their tokens."""
    membership = MembershipFactory(role=BrandMembership.Role.OWNER)
    owner, brand = membership.user, membership.brand
    participant = UserFactory()
    others = UserFactory.create_batch(3)
    campaign = CampaignFactory(
        brand=brand,
        max_entries_per_participant=50,
        allow_video=True,
    )
    CampaignFactory(
        brand=brand,
        status=Campaign.Status.DRAFT,
        starts_at=timezone.now() + dt.timedelta(days=2),
    )
    entries = [SubmissionFactory(campaign=campaign, author=author) for author in others]
    SubmissionFactory(campaign=campaign, author=participant)
    comment = CommentFactory(submission=entries[0], author=participant)
    CommentFactory(submission=entries[0], author=others[1])
    return {
        "tokens": {"participant": _token(participant), "brand": _token(owner)},
        "pins": {
            "slug": campaign.slug,
            "brand_slug": brand.slug,
            "submission_id": entries[0].pk,
            "comment_id": comment.pk,
        },
    }


def _describe(case, response, group: FailureGroup) -> str:
    titles = "; ".join(sorted({failure.title for failure in group.exceptions}))
    body = response.text[:300].replace("\n", " ")
    return (
        f"{case.operation.label} -> {response.status_code} "
        f"{response.headers.get('Content-Type', '')}: {titles} | {body}"
    )


def _fuzz(operation, *, base_url: str, headers: dict[str, str], pins: dict[str, Any]):
    """Run one operation's cases; (cases sent, failure descriptions)."""
    flavours = [
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    ]
    names = {parameter.name for parameter in operation.path_parameters}
    aimed = {name: value for name, value in pins.items() if name in names}
    if aimed:
        flavours.append(operation.as_strategy(path_parameters=aimed))
    sent: list[int] = []
    failures: list[str] = []
    session = requests.Session()

    @settings(
        max_examples=MAX_EXAMPLES * len(flavours),
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(flavours))
    def run(case) -> None:
        response = case.call(base_url=base_url, headers=headers, session=session, timeout=30)
        sent.append(response.status_code)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            failures.append(_describe(case, response, group))

    run()
    session.close()
    return len(sent), failures


@pytest.mark.parametrize("actor", ACTORS)
def test_api_answers_as_its_schema_says(actor, live_server, seeded, resilience_report) -> None:
    base_url = live_server.url
    schema = schemathesis.openapi.from_url(f"{base_url}/api/schema/", timeout=30)
    token = seeded["tokens"].get(actor)
    headers = {"Authorization": f"Token {token}"} if token else {}

    operations = [result.ok() for result in schema.get_all_operations()]
    cases = 0
    failures: list[str] = []
    for operation in operations:
        sent, found = _fuzz(operation, base_url=base_url, headers=headers, pins=seeded["pins"])
        cases += sent
        failures.extend(found)

    assert operations, "the schema lists no operations"
    assert not failures, f"{len(failures)} failure(s):\n" + "\n".join(sorted(set(failures)))
    resilience_report(
        scenario=f"Schemathesis against /api/schema/ as {actor}",
        load=f"{len(operations)} operations, {cases} cases",
        faults="generated valid and invalid input, aimed and random ids",
        result="0 server errors, 0 schema violations",
        lost=0,
        operations=len(operations),
        cases=cases,
        failures=0,
    )
