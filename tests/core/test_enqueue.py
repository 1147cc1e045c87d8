"""Sending a task never fails, or holds up, the request that wrote its facts."""

from __future__ import annotations

import pytest
from celery import Celery

from core.enqueue import task_enqueue


@pytest.fixture
def dead_broker_task():
    app = Celery("dead-broker", broker="redis://127.0.0.1:1/0", set_as_current=False)
    app.conf.broker_connection_timeout = 1
    app.conf.redis_socket_connect_timeout = 1

    @app.task(name="tests.dead_broker_probe")
    def probe(n: int) -> int:
        return n

    yield probe
    app.close()


def test_a_broker_that_refuses_connections_is_logged_not_raised(dead_broker_task, caplog) -> None:
    sent = task_enqueue(dead_broker_task, 1)

    assert sent is False
    assert "left to the sweep" in caplog.text
