"""``flyteexec-widget``: help, argument errors, and the sandbox command as a real subprocess (start, serve, SIGINT)."""

from __future__ import annotations

import io
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import pytest
from flyteidl.admin import execution_pb2
from flyteidl.core import identifier_pb2
from flyteidl.service import admin_pb2_grpc

from flyteexec_widget import cli

CMD = [sys.executable, "-m", "flyteexec_widget.cli"]


@contextmanager
def serving(*args: str) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    """``flyteexec-widget sandbox ARGS`` as a subprocess, with the lines it printed up to "Press Ctrl-C"; killed
    on the way out if the test did not stop it."""
    proc = subprocess.Popen([*CMD, "sandbox", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Press Ctrl-C"):
                break
        yield proc, lines
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    assert "sandbox" in capsys.readouterr().out


def test_sandbox_help_lists_options_and_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["sandbox", "--help"])
    out = capsys.readouterr().out
    for option in ("--port", "--scenario", "--speed", "--latency-ms", "--state"):
        assert option in out
    assert "all-kinds" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sandbox", "--scenario", "nope"], "valid scenarios: demo, all-kinds"),
        (["sandbox", "--scenario", "wide:size=0"], "between 1 and"),
        (["sandbox", "--scenario", "wide:depth=3"], "valid parameters: size"),
        (["sandbox", "--scenario", "wide:size=big"], "must be an integer"),
        (["sandbox", "--port", "70000"], "port must be in 0..65535"),
        (["sandbox", "--speed", "0"], "speed must be a finite number > 0"),
        (["sandbox", "--latency-ms", "-1"], "latency must be"),
        ([], "required"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_parse_scenario_reads_parameters() -> None:
    arg = cli.parse_scenario("wide:size=10000")
    assert (arg.name, arg.params) == ("wide", {"size": 10000})
    assert str(arg) == "wide:size=10000"
    assert cli.parse_scenario("demo").params == {}


@pytest.mark.timeout(60)
def test_sandbox_subprocess_prints_endpoint_and_urls_serves_and_stops_on_sigint() -> None:
    args = ("--port", "0", "--speed", "50", "--scenario", "single-task", "--scenario", "deep:depth=2")
    with serving(*args) as (proc, lines):
        head = lines[0]
        match = re.search(r"listening on (127\.0\.0\.1:\d+)", head)
        assert match, lines
        endpoint = match.group(1)
        connect = re.search(r"console_endpoint='(http://127\.0\.0\.1:\d+)'", lines[1])
        assert connect, lines
        urls = [re.search(r"(http://\S+)$", ln) for ln in lines if ln.lstrip().startswith(("single-task", "deep"))]
        assert len(urls) == 2
        # each URL is the execution's page on the sandbox's HTTP side (the console_endpoint it printed)
        prefix = f"{connect.group(1)}/console/projects/flytesnacks/domains/development/executions/"
        names = []
        for m in urls:
            assert m is not None
            assert m.group(1).startswith(prefix)
            names.append(m.group(1)[len(prefix) :])
            with urllib.request.urlopen(m.group(1), timeout=10) as resp:
                assert names[-1] in resp.read().decode()
        # the server is real: the launched executions exist over gRPC
        with grpc.insecure_channel(endpoint) as channel:
            stub = admin_pb2_grpc.AdminServiceStub(channel)
            for name in names:
                wf = identifier_pb2.WorkflowExecutionIdentifier(project="flytesnacks", domain="development", name=name)
                ex = stub.GetExecution(execution_pb2.WorkflowExecutionGetRequest(id=wf), timeout=10)
                assert ex.spec.launch_plan.name.startswith("sandbox.")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Stopping the sandbox." in out
    assert "Traceback" not in err


@pytest.mark.timeout(60)
def test_sandbox_on_a_busy_port_fails_with_a_clear_error() -> None:
    from flyteexec_widget.sandbox import Sandbox

    with Sandbox(clock="stepped") as busy:
        port = busy.endpoint.rsplit(":", 1)[1]
        done = subprocess.run(
            [*CMD, "sandbox", "--port", port, "--no-launch"], capture_output=True, text=True, timeout=30
        )
    assert done.returncode == 1
    assert f"127.0.0.1:{port}" in done.stderr
    assert "--port" in done.stderr


@pytest.mark.timeout(60)
def test_sandbox_with_an_unusable_state_file_fails_with_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "missing-dir" / "state.sqlite"
    done = subprocess.run(
        [*CMD, "sandbox", "--port", "0", "--no-launch", "--state", str(bad)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 1
    assert "cannot use --state" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.timeout(60)
def test_sandbox_state_file_keeps_executions_across_runs(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"

    def run_once(*extra: str, check: Callable[[str], None] | None = None) -> list[str]:
        with serving("--port", "0", "--state", str(state), *extra) as (proc, lines):
            if check is not None:
                match = re.search(r"listening on (\S+)", lines[0])
                assert match, lines
                check(match.group(1))
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        return lines

    first = run_once("--scenario", "single-task")
    [url] = [ln for ln in first if "single-task:" in ln]
    name = url.rsplit("/", 1)[1]

    def still_there(endpoint: str) -> None:
        wf = identifier_pb2.WorkflowExecutionIdentifier(project="flytesnacks", domain="development", name=name)
        with grpc.insecure_channel(endpoint) as channel:
            stub = admin_pb2_grpc.AdminServiceStub(channel)
            ex = stub.GetExecution(execution_pb2.WorkflowExecutionGetRequest(id=wf), timeout=10)
        assert ex.spec.launch_plan.name == "sandbox.single_task.wf"

    run_once("--no-launch", check=still_there)


class _StopRequest:
    """A stop request the serving loop must poll (is_set) and never block on (wait): the SIGINT handler sets the
    real Event, and a signal landing while the main thread held the Event's lock inside wait() deadlocked."""

    def __init__(self) -> None:
        self.polls = 0

    def is_set(self) -> bool:
        self.polls += 1
        return self.polls > 2

    def wait(self, timeout: float | None = None) -> bool:
        raise AssertionError("the serving loop blocked in Event.wait(), where a signal handler's set() deadlocks")


def test_serving_loop_polls_the_stop_request_instead_of_blocking_in_its_lock() -> None:
    args = cli.build_parser().parse_args(["sandbox", "--port", "0", "--no-launch"])
    stop = _StopRequest()
    out = io.StringIO()
    assert cli.run_sandbox(args, out=out, stop=stop) == 0  # type: ignore[arg-type]
    assert stop.polls == 3
    assert "Stopping the sandbox." in out.getvalue()
