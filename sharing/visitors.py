"""Who a share-link visitor is, as a keyed hash that changes every day. No IP is ever stored.

`visitor = HMAC-SHA256(key, "<UTC day>|<network>|<User-Agent>")`, hex (64 characters).

- The key is `PASSAPAROLA_VISITOR_KEY` when set, else derived from `SECRET_KEY` (with its own
  salt, so the hash reveals nothing about SECRET_KEY). Keyed, so nobody holding the table can
  recover an address by hashing all 2^32 IPv4 addresses with common User-Agents.
- The UTC day is part of the message: a click counts once per visitor per link per day, so the
  hash only has to recognise a visitor within one day. Across days the same person gets
  unrelated hashes, which the table cannot link (a daily pseudonym, not a lifelong one).
- The network is the client address as allauth's adapter resolves it (the same proxy settings,
  `ALLAUTH_TRUSTED_PROXY_COUNT` / `ALLAUTH_TRUSTED_CLIENT_IP_HEADER`, as its rate limits); an
  IPv6 address is cut to its /64, because privacy extensions rotate the rest within a day.
"""

from __future__ import annotations

import ipaddress
from datetime import date

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

_SALT = "passaparola.sharing.visitor"
USER_AGENT_MAX = 300


def client_network(request: HttpRequest) -> str:
    """The client's address (IPv6 cut to its /64) for hashing; "" when it cannot be told."""
    try:
        address = get_adapter(request).get_client_ip(request)
    except (PermissionDenied, ImproperlyConfigured):
        return ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False).network_address) + "/64"
    return str(ip)


def visitor_key(*, network: str, user_agent: str, day: date) -> str:
    """The visitor's hash for one UTC day (64 hex characters)."""
    secret = getattr(settings, "PASSAPAROLA_VISITOR_KEY", "") or settings.SECRET_KEY
    message = f"{day.isoformat()}|{network}|{user_agent[:USER_AGENT_MAX]}"
    return salted_hmac(_SALT, message, secret=secret, algorithm="sha256").hexdigest()


def visitor_of(request: HttpRequest, *, day: date) -> str:
    """The hash of the visitor making `request`, for `day` (UTC)."""
    return visitor_key(
        network=client_network(request),
        user_agent=request.headers.get("User-Agent", ""),
        day=day,
    )
