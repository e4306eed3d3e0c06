"""worker/celery_app.py: a task that cannot reach the database is retried with
backoff (never acked as failed, which left its plan queued forever), and failed
once its retries run out if the database answers by then."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from fieldops.worker import celery_app, runner


class Retry(Exception):
    """What ``Task.retry`` raises (celery.exceptions.Retry), recorded."""

    def __init__(self, **kw: Any) -> None:
        super().__init__("retry")
        self.kw = kw


class FakeTask:
    def __init__(self, retries: int) -> None:
        self.request = SimpleNamespace(retries=retries)

    def retry(self, **kw: Any) -> Retry:
        return Retry(**kw)


def _down(*_: Any, **__: Any) -> None:
    raise OperationalError("SELECT 1", {}, Exception("connection refused"))


@pytest.fixture
def away(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    failed: list[tuple[str, str, str]] = []
    monkeypatch.setattr(celery_app, "_database", lambda: object())
    monkeypatch.setattr(runner, "run", _down)
    monkeypatch.setattr(runner, "fail", lambda db, kind, job, reason: failed.append(
        (kind, job, reason)))
    return failed


def test_the_backoff_doubles_up_to_its_cap() -> None:
    waits = [celery_app.retry_countdown(n) for n in range(celery_app.MAX_RETRIES)]
    assert waits[:4] == [1.0, 2.0, 4.0, 8.0]
    assert max(waits) == celery_app.RETRY_MAX_SECONDS == waits[-1]
    assert waits == sorted(waits)
    assert celery_app.retry_countdown(10_000) == celery_app.RETRY_MAX_SECONDS


def test_a_task_the_database_refuses_is_retried_not_failed(
        away: list[tuple[str, str, str]]) -> None:
    with pytest.raises(Retry) as caught:
        celery_app.run_task(FakeTask(retries=2), "plan", "p1")  # type: ignore[arg-type]
    assert caught.value.kw["countdown"] == 4.0
    assert caught.value.kw["max_retries"] == celery_app.MAX_RETRIES
    assert isinstance(caught.value.kw["exc"], OperationalError)
    assert away == []  # nothing marked failed while retries remain


def test_the_last_retry_fails_the_job_when_the_database_answers(
        away: list[tuple[str, str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(OperationalError):
        celery_app.run_task(FakeTask(retries=celery_app.MAX_RETRIES),  # type: ignore[arg-type]
                            "roster", "r1")
    [(kind, job, reason)] = away
    assert (kind, job) == ("roster", "r1") and "unreachable" in reason
    # Still down at the end: logged, the original error re-raised, nothing else breaks.
    monkeypatch.setattr(runner, "fail", _down)
    with pytest.raises(OperationalError):
        celery_app.run_task(FakeTask(retries=celery_app.MAX_RETRIES),  # type: ignore[arg-type]
                            "plan", "p2")


def test_task_kinds_are_the_runners() -> None:
    assert {"plan", "roster"} == set(runner.KINDS)


def test_the_result_backend_follows_the_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FIELDOPS_RESULT_BACKEND", raising=False)
    assert celery_app.result_backend("redis://h:6379/3") == "redis://h:6379/3"
    assert celery_app.result_backend("amqp://guest@h//") == "rpc://"
    monkeypatch.setenv("FIELDOPS_RESULT_BACKEND", "redis://other/1")
    assert celery_app.result_backend("amqp://guest@h//") == "redis://other/1"
    app = celery_app.make_celery("redis://h:6379/3", "q")
    assert app.conf.result_backend == "redis://other/1"


def test_a_worker_child_is_replaced_past_its_memory_cap(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDOPS_WORKER_MAX_MEMORY_MIB", "512")
    assert celery_app.make_celery("redis://h:6379/3").conf.worker_max_memory_per_child == (
        512 * 1024)
    monkeypatch.delenv("FIELDOPS_WORKER_MAX_MEMORY_MIB")
    assert celery_app.max_memory_kib() == 2048 * 1024
