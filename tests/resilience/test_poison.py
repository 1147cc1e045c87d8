"""Poison messages stop after bounded attempts, are recorded, and the worker goes on.

A real prefork worker (as production runs it: only prefork enforces time limits) takes messages
that fail every time: an argument the code cannot handle, a transient fault that never clears,
a task that hangs past its time limits, a task that SIGKILLs the process running it, and one that
SIGKILLs its whole worker. Each ends as one `FailedTask` row after the project's bound, and a
healthy message sent after it is still served.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from core.models import FailedTask
from core.tasks import MAX_DELIVERIES, RELIABLE_TASK
from tests.factories import UserFactory
from tests.resilience.worker_tasks import (
    POISON_HARD_LIMIT,
    always_raises_task,
    database_always_down_task,
    echo_task,
    ignores_soft_limit_task,
    kills_its_process_task,
    kills_its_worker_task,
    runs_past_soft_limit_task,
)
from tests.resilience.workers import WorkerFleet, wait_for, worker_fleet

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

GIVE_UP_TIMEOUT = 60.0
CHANGELIST = "/admin/core/failedtask/"


@pytest.fixture(scope="module")
def fleet(django_db_setup: None) -> Iterator[WorkerFleet]:
    with worker_fleet(1, concurrency=2) as fleet:
        yield fleet


@pytest.fixture(autouse=True)
def _worker_log_on_failure(request: pytest.FixtureRequest, fleet: WorkerFleet) -> Iterator[None]:
    failed = request.session.testsfailed
    yield
    if request.session.testsfailed > failed:
        print(fleet.log)


def _recorded(task_id: str) -> FailedTask:
    return wait_for(
        lambda: FailedTask.objects.filter(task_id=task_id).first(),
        timeout=GIVE_UP_TIMEOUT,
        what=f"the failure of {task_id} to be recorded",
    )


def _runs_of(fleet: WorkerFleet, task_id: str) -> int:
    """How many times a worker started this task (each delivery and each retry)."""
    return sum(1 for _name, tid, _args in fleet.runs() if tid == task_id)


def _still_serves(fleet: WorkerFleet) -> None:
    assert fleet.run(echo_task, "next message", timeout=30) == "next message"


def test_a_task_that_always_raises_is_recorded_once_and_the_worker_goes_on(
    fleet: WorkerFleet, resilience_report
) -> None:
    bad = fleet.send(always_raises_task, {"submission_id": -1})
    down = fleet.send(database_always_down_task, 7)

    raised = _recorded(bad.id)
    retried = _recorded(down.id)
    _still_serves(fleet)

    assert raised.reason == FailedTask.Reason.ERROR
    assert raised.task_name == "resilience.always_raises"
    assert raised.args == [{"submission_id": -1}]
    assert raised.attempts == 1
    assert _runs_of(fleet, bad.id) == 1
    assert "ValueError" in raised.exception
    assert "cannot handle" in raised.exception
    assert "Traceback" in raised.traceback or "ValueError" in raised.traceback
    # A transient fault is retried exactly the project's number of times, then given up.
    attempts = RELIABLE_TASK["max_retries"] + 1
    assert retried.reason == FailedTask.Reason.ERROR
    assert "OperationalError" in retried.exception
    assert retried.attempts == attempts
    assert _runs_of(fleet, down.id) == attempts
    assert FailedTask.objects.count() == 2
    resilience_report(
        scenario="Poison message: a task that always fails",
        load="an impossible argument; a database error that never clears",
        faults="every run fails",
        result=f"stopped after 1 and {attempts} attempts, 2 FailedTask rows, worker goes on",
        lost=0,
    )


def test_a_task_past_its_time_limits_is_stopped_and_recorded(
    fleet: WorkerFleet, resilience_report
) -> None:
    started = time.monotonic()
    soft = fleet.send(runs_past_soft_limit_task, 1)
    hard = fleet.send(ignores_soft_limit_task, 2)

    stopped_soft = _recorded(soft.id)
    stopped_hard = _recorded(hard.id)
    elapsed = time.monotonic() - started
    _still_serves(fleet)

    for row in (stopped_soft, stopped_hard):
        assert row.reason == FailedTask.Reason.TIME_LIMIT
        assert row.attempts == 1
    assert "SoftTimeLimitExceeded" in stopped_soft.exception
    assert "TimeLimitExceeded" in stopped_hard.exception
    assert _runs_of(fleet, soft.id) == 1
    assert _runs_of(fleet, hard.id) == 1
    assert elapsed < POISON_HARD_LIMIT + 30
    resilience_report(
        scenario="Poison message: a task that hangs",
        load="one task that hangs, one that also ignores the soft limit",
        faults="soft and hard time limits",
        result="both stopped and recorded (time_limit), worker goes on",
        lost=0,
        seconds=round(elapsed, 1),
    )


def test_a_message_that_kills_its_pool_process_is_delivered_a_bounded_number_of_times(
    fleet: WorkerFleet, resilience_report
) -> None:
    killer = fleet.send(kills_its_process_task, 3)

    row = _recorded(killer.id)
    _still_serves(fleet)

    assert row.reason == FailedTask.Reason.WORKER_LOST
    assert row.attempts == MAX_DELIVERIES
    # Each delivery is logged as it starts: MAX_DELIVERIES ran, the next was refused.
    assert _runs_of(fleet, killer.id) == MAX_DELIVERIES + 1
    assert "DeliveriesExceeded" in row.exception
    assert fleet.kills == 0
    assert all(w.process.poll() is None for w in fleet.live)
    resilience_report(
        scenario="Poison message: a task that SIGKILLs its pool process",
        load="1 message",
        faults=f"SIGKILL of the pool process on each of {MAX_DELIVERIES} deliveries",
        result=f"refused on delivery {MAX_DELIVERIES + 1} and recorded; worker goes on",
        lost=0,
    )


def test_a_message_that_kills_its_whole_worker_is_delivered_a_bounded_number_of_times(
    fleet: WorkerFleet, resilience_report
) -> None:
    killer = fleet.send(kills_its_worker_task, 4)
    deaths = 0
    deadline = time.monotonic() + GIVE_UP_TIMEOUT * 2
    while not FailedTask.objects.filter(task_id=killer.id).exists():
        assert time.monotonic() < deadline, "the message was never given up"
        fleet.forget_dead()
        if not fleet.live:
            deaths += 1
            fleet.start(1)  # the replacement a supervisor would start
            # The killed worker never acknowledged the message: after the visibility timeout
            # the broker hands it out again. Do now what it would do then.
            wait_for(fleet.unacked, timeout=10, what="the killed worker's message")
            assert fleet.restore_unacked() == 1
        time.sleep(0.1)
    row = FailedTask.objects.get(task_id=killer.id)
    _still_serves(fleet)

    assert deaths == MAX_DELIVERIES
    assert row.reason == FailedTask.Reason.WORKER_LOST
    assert row.attempts == MAX_DELIVERIES
    # Each delivery is logged as it starts: MAX_DELIVERIES ran, the next was refused.
    assert _runs_of(fleet, killer.id) == MAX_DELIVERIES + 1
    resilience_report(
        scenario="Poison message: a task that SIGKILLs its whole worker",
        load="1 message",
        faults=f"{deaths} worker deaths (main and pool processes), each redelivered",
        result=f"refused on delivery {MAX_DELIVERIES + 1} and recorded; new worker goes on",
        lost=0,
    )


def test_a_superuser_sends_a_recorded_task_again_from_the_admin(fleet: WorkerFleet, client) -> None:
    row = _recorded(fleet.send(always_raises_task, "again").id)
    moderator = UserFactory(is_staff=True)
    client.force_login(moderator)
    assert client.get(CHANGELIST).status_code == 403  # not for every member of the staff

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    assert "resilience.always_raises" in page.content.decode()
    assert client.get(f"{CHANGELIST}add/").status_code == 403
    response = client.post(CHANGELIST, {"action": "retry", "_selected_action": [row.pk]})

    assert response.status_code == 302
    row.refresh_from_db()
    assert row.retried_at is not None
    again = wait_for(
        lambda: FailedTask.objects.exclude(pk=row.pk).first(),
        timeout=GIVE_UP_TIMEOUT,
        what="the task sent again to fail again",
    )
    assert again.task_name == row.task_name
    assert again.args == ["again"]
