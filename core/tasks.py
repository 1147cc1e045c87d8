"""Shared task options: late ack, bounded retries on transient faults (see docs/reliability.md)."""

from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

RELIABLE_TASK = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (
        OperationalError,
        InterfaceError,
        BrokerOperationalError,
        RedisConnectionError,
    ),
    "max_retries": 5,
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "retry_jitter": True,
}
