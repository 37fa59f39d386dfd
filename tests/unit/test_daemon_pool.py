"""DaemonPool: a bounded pool of daemon threads that never holds up shutdown() or the interpreter's exit."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import CancelledError

import pytest

from flyteexec_widget.admin.daemon_pool import DaemonPool


def _workers(prefix: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(prefix)]


def test_runs_work_and_hands_back_results_and_errors() -> None:
    pool = DaemonPool(2, thread_name_prefix="dp-results")
    ok = pool.submit(lambda a, b=0: a + b, 2, b=3)
    bad = pool.submit(lambda: 1 / 0)
    assert ok.result(30) == 5
    with pytest.raises(ZeroDivisionError):
        bad.result(30)
    pool.shutdown(wait=True, timeout=30)
    assert _workers("dp-results") == []


def test_never_more_threads_than_max_workers_and_every_item_runs() -> None:
    pool = DaemonPool(2, thread_name_prefix="dp-bound")
    gate = threading.Event()
    futures = [pool.submit(lambda i=i: gate.wait(30) and i) for i in range(10)]
    threads = _workers("dp-bound")
    assert len(threads) == 2
    assert all(t.daemon for t in threads)
    gate.set()
    assert [f.result(30) for f in futures] == list(range(10))
    pool.shutdown(wait=True, timeout=30)


def test_shutdown_does_not_wait_for_a_stuck_item_which_ends_on_its_own() -> None:
    pool = DaemonPool(1, thread_name_prefix="dp-stuck")
    started, release = threading.Event(), threading.Event()
    stuck = pool.submit(lambda: started.set() or release.wait(60))
    queued = pool.submit(lambda: "queued ran")
    assert started.wait(30)
    pool.shutdown(wait=True, timeout=0.2)  # gives up on the stuck worker
    assert not stuck.done()
    with pytest.raises(RuntimeError, match="after shutdown"):
        pool.submit(lambda: None)
    release.set()
    assert stuck.result(30) is True
    assert queued.result(30) == "queued ran"  # work queued before shutdown still runs
    pool.shutdown(wait=True, timeout=30)
    assert _workers("dp-stuck") == []


def test_cancel_futures_drops_queued_work() -> None:
    pool = DaemonPool(1, thread_name_prefix="dp-cancel")
    started, release = threading.Event(), threading.Event()
    pool.submit(lambda: started.set() or release.wait(60))
    queued = pool.submit(lambda: "never")
    assert started.wait(30)
    pool.shutdown(cancel_futures=True)
    release.set()
    with pytest.raises(CancelledError):
        queued.result(30)


def test_a_stuck_worker_does_not_hold_up_the_interpreters_exit() -> None:
    """A ThreadPoolExecutor joins its threads at exit: a call stuck on a silent server kept a Ctrl-C'd script alive."""
    code = (
        "import threading\n"
        "from flyteexec_widget.admin.daemon_pool import DaemonPool\n"
        "DaemonPool(1).submit(threading.Event().wait)\n"
        "print('exiting', flush=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "exiting\n")
