"""wait()'s watch over real gRPC while gates wait: the refreshes back off, the execution's phase is still asked
every END_CHECK_S (one GetExecution), and the end is seen at the first look after it; after a quiet spell
(END_CHECK_QUIET_S) the asks spread out to one every END_CHECK_MAX_S. The sandbox's stepped clock and the
scheduler's fake clock move together; counts and scheduler seconds, no wall-clock timing."""

from __future__ import annotations

from collections.abc import Callable

from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.scheduler import END_CHECK_MAX_S, END_CHECK_QUIET_S, END_CHECK_S, SyncScheduler, Watch
from flyteexec_widget.objects.phases import WORKFLOW_TERMINAL
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import Sandbox


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def drive(sched: SyncScheduler, clock: Clock, sandbox: Sandbox, until: Callable[[], bool], limit: float) -> None:
    """Run the scheduler as its thread would, moving sandbox time along with its clock, until ``until()`` (checked
    after every step) or ``limit`` seconds of scheduler time."""
    while not until() and clock.now < limit:
        next_due = sched.run_pending()
        if until():
            return
        step = min(limit, next_due if next_due is not None else limit) - clock.now
        if step > 0:
            sandbox.advance(step)
            clock.now += step


def test_wait_sees_the_end_at_the_first_look_after_it_while_refreshes_back_off(
    sandbox: Sandbox, remote: Remote
) -> None:
    wf_id = sandbox.launch("all-kinds")
    clock = Clock()
    # the checks at END_CHECK_S throughout (no backing off after a quiet minute: the next test has that)
    sched = SyncScheduler(clock=clock, start_thread=False, end_check_quiet=600.0)
    try:
        ex = remote.fetch_execution(wf_id.project, wf_id.domain, wf_id.name)
        w: Watch = sched.watch(ex, ExecutionModel(), paced=False)  # as wait() watches
        # Every other node ends within 60 s (slow_query times out at 30 s); then only the two gates wait.
        drive(sched, clock, sandbox, lambda: False, 60.0)
        assert w.active
        sandbox.reset_rpc_counts()
        checks_before, syncs_before = w.checks, w.syncs
        drive(sched, clock, sandbox, lambda: False, 120.0)  # a quiet minute
        counts = sandbox.rpc_counts()
        refreshes = w.syncs - syncs_before
        checks = w.checks - checks_before
        assert refreshes <= 6  # backed off: 15 s apart at the end
        assert refreshes + checks >= 60 / END_CHECK_S - 1  # still a look at the phase every second
        assert counts.get("GetExecution", 0) == refreshes + checks  # each check is one GetExecution
        assert counts.get("ListNodeExecutions", 0) <= 2 * refreshes  # the listings only come with refreshes

        remote.approve(ex, "approve-me")
        remote.set_signal(ex, "threshold", 0.5)
        ended: list[float] = []

        def terminal() -> bool:
            if not ended and sandbox.phase(wf_id) in WORKFLOW_TERMINAL:
                ended.append(clock.now)  # the end happened within the step that led here
            return w.finished.is_set()

        drive(sched, clock, sandbox, terminal, 300.0)
        assert ended, "the execution did not end"
        assert w.finished.is_set()
        assert w.error is None
        assert w.model.header["phase"] == sandbox.phase(wf_id).name
        assert clock.now - ended[0] <= END_CHECK_S  # without the checks: up to max_interval (15 s) later
    finally:
        sched.shutdown()


def test_after_a_quiet_spell_wait_asks_every_end_check_max_s_and_still_sees_the_end(
    sandbox: Sandbox, remote: Remote
) -> None:
    """The gates wait for minutes: once quiet for END_CHECK_QUIET_S the GetExecution calls are END_CHECK_MAX_S
    apart (a long-blocked wait() costs FlyteAdmin a quarter call a second, not two); the gates answered, the end is
    still seen within END_CHECK_MAX_S."""
    wf_id = sandbox.launch("all-kinds")
    clock = Clock()
    sched = SyncScheduler(clock=clock, start_thread=False)  # the defaults wait() runs with
    try:
        ex = remote.fetch_execution(wf_id.project, wf_id.domain, wf_id.name)
        w: Watch = sched.watch(ex, ExecutionModel(), paced=False)
        drive(sched, clock, sandbox, lambda: False, 60.0)  # every other node ended: only the gates wait
        drive(sched, clock, sandbox, lambda: False, 60.0 + END_CHECK_QUIET_S + 10.0)  # quiet a minute and more
        assert w.active
        assert w.check_interval == END_CHECK_MAX_S
        sandbox.reset_rpc_counts()
        checks_before, syncs_before = w.checks, w.syncs
        drive(sched, clock, sandbox, lambda: False, clock.now + 120.0)
        counts = sandbox.rpc_counts()
        refreshes = w.syncs - syncs_before
        checks = w.checks - checks_before
        assert counts.get("GetExecution", 0) == refreshes + checks
        assert checks <= 120 / END_CHECK_MAX_S  # at END_CHECK_S (the first test): ~230
        assert refreshes <= 120 / 15 + 1  # the refreshes back off as before
        assert checks >= 120 / 15 * 2  # still looking between the refreshes (15 s apart)

        remote.approve(ex, "approve-me")
        remote.set_signal(ex, "threshold", 0.5)
        ended: list[float] = []

        def terminal() -> bool:
            if not ended and sandbox.phase(wf_id) in WORKFLOW_TERMINAL:
                ended.append(clock.now)
            return w.finished.is_set()

        drive(sched, clock, sandbox, terminal, clock.now + 300.0)
        assert ended, "the execution did not end"
        assert w.finished.is_set()
        assert w.model.header["phase"] == sandbox.phase(wf_id).name
        assert clock.now - ended[0] <= END_CHECK_MAX_S + END_CHECK_S / 4
    finally:
        sched.shutdown()
