"""The background pipeline against a fake Respan ingest API: retries, limits, faults, lifecycle.

Calls are handed over through the observer's public hooks (``on_end``) with hand-made call
records, so these tests need no Dify; what arrives is checked on a real loopback server.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path

import pytest
from difykit_core import APIConnectionError
from difykit_exporter_respan import ExportResult, RespanObserver
from difykit_exporter_respan._pipeline import backoff_delay, keep_trace
from fake_respan import FakeRespan
from records import chat_call, chat_end, chat_record


def _observer(endpoint: str, **options: object) -> RespanObserver:
    settings: dict[str, object] = {
        "endpoint": endpoint,
        "flush_interval": 0.02,
        "backoff_base": 0.01,
        "backoff_cap": 1.0,
    }
    settings.update(options)
    return RespanObserver("rk-test", **settings)  # type: ignore[arg-type]


def _hand_over(observer: RespanObserver, count: int, start: int = 0) -> None:
    for index in range(start, start + count):
        record = chat_record(index)
        observer.on_end(record.call, record.end)


def _queries(spans: Sequence[dict[str, object]]) -> list[str]:
    return [s["input"][0]["content"] for s in spans]  # type: ignore[index]


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v1/traces/ingest"


class _Blocking:
    """An exporter that blocks in ``export`` until released (a hung ingest)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.spans: list[bytes] = []

    def export(self, batch: Sequence[bytes]) -> ExportResult:
        self.entered.set()
        self.release.wait(10)
        self.spans.extend(batch)
        return ExportResult.success()

    def force_flush(self, timeout: float = 5.0) -> bool:
        return True

    def shutdown(self) -> None:
        self.release.set()


def test_server_errors_are_retried_and_nothing_is_lost(respan: FakeRespan) -> None:
    """Two 500s then a 200: the batch is sent again until accepted; every span arrives once."""
    respan.answer_next(500, times=2)
    with _observer(respan.url) as observer:
        _hand_over(observer, 5)
        assert observer.flush(5)
        stats = observer.stats()
    assert [r.status for r in respan.requests] == [500, 500, 200]
    assert _queries(respan.accepted) == [f"q{i}" for i in range(5)]
    assert (stats.retries, stats.spans_sent, stats.spans_failed) == (2, 5, 0)


@pytest.mark.parametrize("where", ["header", "body"])
def test_rate_limit_waits_as_long_as_the_server_asks(respan: FakeRespan, where: str) -> None:
    """A 429 is retried after the ``Retry-After`` header (or the body's ``retry_after``)."""
    if where == "header":
        respan.answer_next(429, headers={"Retry-After": "0.4"})
    else:
        respan.answer_next(429, body={"detail": "Rate limit exceeded", "retry_after": 0.4})
    with _observer(respan.url) as observer:
        _hand_over(observer, 1)
        assert observer.flush(5)
    limited, accepted = respan.requests
    assert (limited.status, accepted.status) == (429, 200)
    assert accepted.at - limited.at >= 0.4  # the wait asked for, never less
    assert _queries(respan.accepted) == ["q0"]


def test_client_errors_are_not_retried(
    respan: FakeRespan, caplog: pytest.LogCaptureFixture
) -> None:
    """A 401 drops the batch at once (logged once), counted as failed."""
    respan.answer_next(401, times=2)
    with _observer(respan.url) as observer, caplog.at_level(logging.ERROR, "difykit.respan"):
        _hand_over(observer, 2)
        assert observer.flush(5)
        _hand_over(observer, 1, start=2)
        assert observer.flush(5)
        stats = observer.stats()
    assert [r.status for r in respan.requests] == [401, 401]
    assert (stats.retries, stats.spans_failed, stats.spans_sent) == (0, 3, 0)
    assert len([r for r in caplog.records if "401" in r.getMessage()]) == 1


def test_too_large_batch_is_split_once(respan: FakeRespan) -> None:
    """A 413 splits the batch in two halves, each sent once."""
    respan.answer_next(413)
    observer = _observer(respan.url)
    _hand_over(observer, 4)
    assert observer.shutdown(5)
    assert [len(r.spans) for r in respan.requests] == [4, 2, 2]
    assert sorted(_queries(respan.accepted)) == [f"q{i}" for i in range(4)]


def test_ingest_down_for_the_whole_run_never_raises_and_the_breaker_opens() -> None:
    """Respan unreachable: calls are handed over without error; batches fail, then the breaker
    pauses sending and drops (counted) instead of piling up."""
    observer = _observer(
        _closed_port_url(), max_attempts=2, breaker_threshold=2, breaker_cooldown=60
    )
    for round_ in range(4):
        _hand_over(observer, 3, start=round_ * 3)
        observer.flush(5)
    stats = observer.stats()
    assert observer.shutdown(5)
    assert stats.calls_enqueued == 12
    assert stats.spans_sent == 0
    assert stats.spans_failed == 6  # two batches tried (with a retry each), then the breaker
    assert stats.spans_dropped_breaker == 6
    assert stats.breaker_open
    assert stats.queue_size == 0


def test_a_hung_ingest_never_blocks_the_caller_and_overflow_is_counted() -> None:
    """While the worker is stuck in ``export``, handing over calls never blocks: the queue
    keeps ``max_queue_size`` calls and drops (and counts) the rest."""
    exporter = _Blocking()
    observer = RespanObserver(exporter=exporter, max_queue_size=3, flush_interval=0.01)
    _hand_over(observer, 1)
    assert exporter.entered.wait(5)  # the worker holds call 0 and waits on the ingest
    _hand_over(observer, 10, start=1)  # returns: nothing on this path waits for the worker
    stats = observer.stats()
    assert (stats.calls_enqueued, stats.calls_dropped_queue_full, stats.queue_size) == (4, 7, 3)
    exporter.release.set()
    assert observer.flush(5)
    assert [json.loads(s)["input"][0]["content"] for s in exporter.spans] == [
        "q0",
        "q1",
        "q2",
        "q3",
    ]
    observer.shutdown()


def test_shutdown_sends_ten_thousand_logs_and_loses_none(respan: FakeRespan) -> None:
    """10,000 calls handed over at once all reach Respan by ``shutdown``, in batches."""
    observer = _observer(respan.url, max_queue_size=20_000, max_batch_size=500)
    _hand_over(observer, 10_000)
    assert observer.shutdown(30)
    spans = respan.accepted
    assert len(spans) == 10_000
    assert len({s["trace_unique_id"] for s in spans}) == 10_000
    assert max(len(r.spans) for r in respan.requests) == 500
    assert observer.stats().spans_sent == 10_000


def test_a_forked_child_logs_its_own_calls(respan: FakeRespan) -> None:
    """After ``fork()`` the child gets a fresh queue and worker and sends its own calls; the
    parent's keep going."""
    observer = _observer(respan.url)
    _hand_over(observer, 1, start=0)
    assert observer.flush(5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads: on purpose
        pid = os.fork()
    if pid == 0:  # the child: log one call and report by exit code
        code = 1
        try:
            _hand_over(observer, 1, start=100)
            code = 0 if observer.flush(5) and observer.stats().spans_sent == 1 else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    _hand_over(observer, 1, start=1)
    assert observer.shutdown(5)
    assert sorted(_queries(respan.accepted)) == ["q0", "q1", "q100"]


def test_without_a_key_it_is_a_no_op_with_one_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """No API key: nothing is queued or sent, no thread starts, one warning is logged."""
    monkeypatch.delenv("RESPAN_API_KEY", raising=False)
    monkeypatch.setattr("difykit_exporter_respan._settings._warned_no_key", False)
    with caplog.at_level(logging.WARNING, "difykit.respan"):
        first, second = RespanObserver(), RespanObserver()
    _hand_over(first, 3)
    assert not first.enabled and not second.enabled
    assert first.stats().calls_enqueued == 0
    assert first.flush() and first.shutdown()
    assert [r.getMessage() for r in caplog.records] == [
        "no Respan API key (pass api_key= or set RESPAN_API_KEY): "
        "Dify calls are not logged to Respan"
    ]


def test_environment_supplies_key_and_endpoint(
    respan: FakeRespan, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``RESPAN_API_KEY`` and ``RESPAN_BASE_URL`` (resolved like respan-sdk) are used."""
    monkeypatch.setenv("RESPAN_API_KEY", "rk-env")
    monkeypatch.delenv("RESPAN_ENDPOINT", raising=False)
    monkeypatch.setenv("RESPAN_BASE_URL", respan.url.removesuffix("/v1/traces/ingest"))
    observer = RespanObserver(flush_interval=0.02)
    _hand_over(observer, 1)
    assert observer.shutdown(5)
    [request] = respan.requests
    assert request.headers["authorization"] == "Bearer rk-env"
    assert request.path == "/api/v1/traces/ingest"


def test_errors_are_always_kept_by_sampling(respan: FakeRespan) -> None:
    """``sample_rate=0`` drops successful calls but keeps failed ones; ``sample=True`` forces."""
    observer = _observer(respan.url, sample_rate=0.0)
    _hand_over(observer, 2)
    forced = chat_record(7, respan={"sample": True})
    observer.on_end(forced.call, forced.end)
    failed = chat_call("failed")
    observer.on_error(failed, APIConnectionError("down"), chat_end())
    assert observer.shutdown(5)
    assert sorted(_queries(respan.accepted)) == ["failed", "q7"]
    assert observer.stats().calls_sampled_out == 2
    assert all("_sample" not in s for s in respan.accepted)


def test_sampling_is_decided_per_trace() -> None:
    """The decision depends only on the trace id: stable, and close to the rate overall."""
    ids = [f"{i:032x}" for i in range(0, 2**128, 2**128 // 1000)]
    kept = [keep_trace(i, 0.25) for i in ids]
    assert kept == [keep_trace(i, 0.25) for i in ids]
    assert 200 < sum(kept) < 300
    assert keep_trace("any-non-hex-id", 1.0) and not keep_trace("any-non-hex-id", 0.0)


def test_backoff_is_full_jitter_capped_and_honours_the_server() -> None:
    """Delays grow as base * 2**attempt scaled by jitter, stay under the cap, and a server's
    wish wins (capped too)."""
    assert backoff_delay(0, base=0.5, cap=30, retry_after=None, jitter=0.5) == 0.25
    assert backoff_delay(3, base=0.5, cap=30, retry_after=None, jitter=0.999) == pytest.approx(
        3.996
    )
    assert backoff_delay(10, base=0.5, cap=30, retry_after=None, jitter=0.999) == pytest.approx(
        29.97
    )
    assert backoff_delay(0, base=0.5, cap=30, retry_after=2.0, jitter=0.1) == 2.0
    assert backoff_delay(0, base=0.5, cap=30, retry_after=120.0, jitter=0.1) == 30


def test_before_send_runs_in_the_worker_and_may_change_or_drop(respan: FakeRespan) -> None:
    """``before_send`` sees each span in the worker thread; ``None`` drops it; a hook that
    raises leaves the span as it was."""
    threads: set[str] = set()

    def hook(span: dict[str, object]) -> dict[str, object] | None:
        threads.add(threading.current_thread().name)
        query = span["input"][0]["content"]  # type: ignore[index]
        if query == "q0":
            return None
        if query == "q1":
            raise RuntimeError("hook bug")
        return {**span, "custom_identifier": "hooked"}

    observer = _observer(respan.url, before_send=hook)
    _hand_over(observer, 3)
    assert observer.shutdown(5)
    q1, q2 = respan.accepted
    assert _queries([q1, q2]) == ["q1", "q2"]
    assert "custom_identifier" not in q1
    assert q2["custom_identifier"] == "hooked"
    assert threads == {"difykit-respan-exporter"}
    assert observer.stats().spans_dropped_by_hook == 1


def test_nan_and_objects_from_a_hook_are_sent_as_valid_json(respan: FakeRespan) -> None:
    """A hook adding NaN, infinity or an object that is not JSON still sends strict JSON:
    null for the numbers, the object's ``str``."""

    class Tag:
        def __str__(self) -> str:
            return "tag-1"

    def hook(span: dict[str, object]) -> dict[str, object]:
        return {**span, "metadata": {"score": float("nan"), "top": float("inf"), "tag": Tag()}}

    observer = _observer(respan.url, before_send=hook)
    _hand_over(observer, 1)
    assert observer.shutdown(5)
    [span] = respan.accepted
    assert span["metadata"] == {"score": None, "top": None, "tag": "tag-1"}


def test_content_can_be_left_out_and_secrets_are_redacted(respan: FakeRespan) -> None:
    """``include_content=False`` sends no input/output; by default credential values in
    inputs are replaced and long text is capped."""
    call = chat_call("x" * 500)
    call.request.json = {
        "query": "x" * 500,
        "user": "u1",
        "inputs": {"api_key": "sk-live", "city": "Paris", "total_tokens": 3},
    }
    plain = _observer(respan.url, max_content_chars=100)
    plain.on_end(call, chat_end())
    assert plain.shutdown(5)
    bare = _observer(respan.url, include_content=False)
    bare.on_end(call, chat_end())
    assert bare.shutdown(5)
    with_content, without = respan.accepted
    assert with_content["properties"] == {
        "inputs": {"api_key": "[REDACTED]", "city": "Paris", "total_tokens": 3}
    }
    assert with_content["input"] == [
        {"role": "user", "content": "x" * 100 + "…[truncated 400 chars]"}
    ]
    assert "sk-live" not in json.dumps(respan.accepted)
    for key in ("input", "output", "properties"):
        assert key not in without
    assert without["customer_identifier"] == "u1"


def test_the_process_exit_sends_what_is_queued(respan: FakeRespan) -> None:
    """A script that never flushes still delivers its calls: the exit hook sends them."""
    code = (
        "import sys\n"
        "sys.path.insert(0, sys.argv[2])\n"
        "from difykit_exporter_respan import RespanObserver\n"
        "from records import chat_record\n"
        "observer = RespanObserver('rk-exit', endpoint=sys.argv[1], flush_interval=60)\n"
        "for i in range(3):\n"
        "    record = chat_record(i)\n"
        "    observer.on_end(record.call, record.end)\n"
    )
    tests_dir = str(Path(__file__).parent)
    subprocess.run([sys.executable, "-c", code, respan.url, tests_dir], check=True, timeout=30)
    assert _queries(respan.accepted) == ["q0", "q1", "q2"]


class _Raising:
    def export(self, batch: Sequence[bytes]) -> ExportResult:
        raise RuntimeError("exporter bug")

    def force_flush(self, timeout: float = 5.0) -> bool:
        raise RuntimeError("exporter bug")

    def shutdown(self) -> None:
        raise RuntimeError("exporter bug")


def test_a_broken_exporter_never_raises_into_the_caller(caplog: pytest.LogCaptureFixture) -> None:
    """An exporter that raises everywhere costs the caller nothing: its batches count as
    failed and the failures are logged."""
    observer = RespanObserver(exporter=_Raising(), flush_interval=0.01)
    with caplog.at_level(logging.ERROR, "difykit.respan"):
        _hand_over(observer, 2)
        assert observer.flush(5)
        assert observer.shutdown(5)
    assert observer.stats().spans_failed == 2
    assert any("exporter" in r.getMessage() for r in caplog.records)
