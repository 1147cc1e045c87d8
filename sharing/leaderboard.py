"""The leaderboard: Redis sorted sets serve reads; the Standing table answers the same questions.

(Placeholder: the engagement work fills this module in.)
"""

from __future__ import annotations

from collections.abc import Iterable

from sharing.models import Standing


def standings_push(campaign_id: int, standings: Iterable[Standing]) -> None:
    """Copy stored standings into the Redis leaderboard (no-op without Redis)."""
    return None
