"""A share hit commits without waiting for the disk, for its own statement only (PostgreSQL).

The redirect writes its hit in autocommit with `synchronous_commit = off` set inside the
statement (`sharing.clicks._hit_insert_sql`). These tests hold what that must and must not do:
the hit is stored and seen by other connections at once, the relaxed setting is in force in
the transaction that commits the hit, and it never reaches anything else: not the connection's
next statements, and not a surrounding transaction's other writes.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test import Client

from sharing.clicks import _hit_insert_sql
from sharing.models import ShareHit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def _setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


def _other_connection_count(link_id: int) -> int:
    """Hits of the link as a second, independent connection sees them."""
    import psycopg

    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        autocommit=True,
    ) as other:
        row = other.execute(
            "SELECT count(*) FROM sharing_sharehit WHERE link_id = %s", [link_id]
        ).fetchone()
        return row[0]


def test_the_redirect_stores_its_hit_and_the_connection_keeps_its_setting(link) -> None:
    assert _setting() == "on"
    client = Client()

    for _ in range(3):
        response = client.get(f"/s/{link.code}?c=x", HTTP_USER_AGENT=BROWSER)
        assert response.status_code == 302

    assert list(ShareHit.objects.values_list("link_id", "channel")) == [(link.pk, "x")] * 3
    assert _other_connection_count(link.pk) == 3  # committed, not pending in a transaction
    assert _setting() == "on"  # the next statement on the same connection commits durably


def test_the_relaxed_insert_turns_synchronous_commit_off_for_its_own_transaction(link) -> None:
    values = [link.pk, "2026-11-26T10:00:00+00:00", "x", "v" * 16, None, "GET", BROWSER, "", ""]
    with transaction.atomic():  # to look inside the transaction the statement runs in
        with connection.cursor() as cursor:
            cursor.execute(_hit_insert_sql(relaxed=True), values)
            assert cursor.fetchone()[0] > 0
        assert _setting() == "off"  # what the commit of this transaction applies
    assert _setting() == "on"  # and gone with it


def test_inside_a_transaction_the_hit_leaves_the_other_writes_durable(link) -> None:
    client = Client()
    with transaction.atomic():
        response = client.get(f"/s/{link.code}", HTTP_USER_AGENT=BROWSER)
        assert response.status_code == 302
        assert _setting() == "on"  # the surrounding transaction still commits durably

    assert ShareHit.objects.filter(link=link).count() == 1
