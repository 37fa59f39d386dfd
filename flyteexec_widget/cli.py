"""``flyteexec-widget``: the command line. ``flyteexec-widget sandbox`` runs the local FlyteAdmin sandbox.

The sandbox command starts a real gRPC server speaking FlyteAdmin's protocol, launches the requested scenarios
(``--scenario demo --scenario wide:size=10000``), prints the endpoint and each execution's console-style URL,
and serves until Ctrl-C (SIGINT) or SIGTERM.
"""

from __future__ import annotations

import argparse
import logging
import math
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Any, TextIO

from . import __version__

DEFAULT_PORT = 30080
_POLL_S = 0.1  # how often the serving loop looks for a stop request
DEFAULT_SCENARIOS = ("demo",)


@dataclass(frozen=True)
class ScenarioArg:
    """A ``--scenario`` value: ``NAME`` or ``NAME:key=value,...`` (integer parameters)."""

    name: str
    params: dict[str, Any]  # ints, checked against the scenario's parameters

    def __str__(self) -> str:
        extra = ",".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.name}:{extra}" if extra else self.name


def _scenario_names() -> list[str]:
    # The sandbox (gRPC server, scenarios, flyteidl) loads only when a command needs it: `--help` stays instant.
    from .sandbox.scenarios import SCENARIOS

    return list(SCENARIOS)


def parse_scenario(text: str) -> ScenarioArg:
    """Parse and validate one ``--scenario`` value (argparse ``type``: errors name what is valid)."""
    from .sandbox.scenarios import SCENARIOS

    name, _, rest = text.partition(":")
    name = name.strip()
    if name not in SCENARIOS:
        raise argparse.ArgumentTypeError(f"unknown scenario {name!r}; valid scenarios: {', '.join(SCENARIOS)}")
    params: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = item.partition("=")
        if not eq:
            raise argparse.ArgumentTypeError(f"scenario parameter {item!r} must look like key=value (e.g. size=1000)")
        try:
            params[key.strip()] = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"scenario parameter {key.strip()!r} must be an integer, got {value!r}"
            ) from None
    try:
        SCENARIOS[name].resolve(**params)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return ScenarioArg(name, params)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be an integer in 0..65535, got {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be in 0..65535 (0 picks a free port), got {port}")
    return port


def _speed(text: str) -> float:
    try:
        speed = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"speed must be a number > 0, got {text!r}") from None
    if not (speed > 0 and math.isfinite(speed)):
        raise argparse.ArgumentTypeError(f"speed must be a finite number > 0, got {text!r}")
    return speed


def _latency(text: str) -> float:
    try:
        ms = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"latency must be a number of milliseconds >= 0, got {text!r}") from None
    if not (ms >= 0 and math.isfinite(ms)):
        raise argparse.ArgumentTypeError(f"latency must be a number of milliseconds >= 0, got {text!r}")
    return ms


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (one sub-command per feature)."""
    parser = argparse.ArgumentParser(
        prog="flyteexec-widget",
        description="Watch Flyte executions live in Jupyter. Commands for the local sandbox.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    sb = sub.add_parser(
        "sandbox",
        help="run a local FlyteAdmin sandbox (real gRPC, scripted executions) until Ctrl-C",
        description=(
            "Run a local FlyteAdmin sandbox over real gRPC with scripted executions, print its endpoint and the "
            "console-style URL of each launched execution (a stand-in page on its HTTP side), and serve until Ctrl-C. "
            "Connect with Remote.for_sandbox(ENDPOINT, console_endpoint=...) as printed, or "
            "FLYTE_PLATFORM_URL=ENDPOINT FLYTE_PLATFORM_INSECURE=true."
        ),
    )
    sb.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"gRPC port (default {DEFAULT_PORT}; 0: any)")
    sb.add_argument(
        "--scenario",
        action="append",
        type=parse_scenario,
        metavar="NAME[:k=v,...]",
        help=f"launch this scenario (repeatable; default: demo). One of: {', '.join(_scenario_names())}; "
        "parameters like wide:size=10000 or deep:depth=8",
    )
    sb.add_argument("--no-launch", action="store_true", help="launch nothing (serve registered workflows only)")
    sb.add_argument("--speed", type=_speed, default=1.0, help="play scenarios X times faster (default 1)")
    sb.add_argument("--latency-ms", type=_latency, default=0.0, help="added latency per client RPC (default 0)")
    sb.add_argument("--state", metavar="FILE", default=None, help="keep state in this SQLite file across restarts")
    sb.add_argument("--project", default="flytesnacks", help="project of launched executions (default flytesnacks)")
    sb.add_argument("--domain", default="development", help="domain of launched executions (default development)")
    sb.add_argument("-v", "--verbose", action="store_true", help="log the sandbox's activity")
    return parser


def run_sandbox(args: argparse.Namespace, out: TextIO = sys.stdout, stop: threading.Event | None = None) -> int:
    """Start the sandbox, launch scenarios, print where to find them, and serve until ``stop`` is set."""
    from .sandbox import Sandbox

    stop = stop or threading.Event()
    scenarios: list[ScenarioArg] = (
        [] if args.no_launch else (args.scenario or [parse_scenario(s) for s in DEFAULT_SCENARIOS])
    )
    try:
        sandbox = Sandbox(
            port=args.port, clock="real", speed=args.speed, latency_ms=args.latency_ms, state_path=args.state
        )
    except sqlite3.Error as e:
        print(f"flyteexec-widget sandbox: cannot use --state {args.state!r}: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"flyteexec-widget sandbox: {e}. Pick another with --port (0 picks a free one).", file=sys.stderr)
        return 1
    with sandbox:
        print(f"FlyteAdmin sandbox listening on {sandbox.endpoint} (insecure gRPC)", file=out)
        connect = f"Remote.for_sandbox({sandbox.endpoint!r}, console_endpoint={sandbox.console_endpoint!r})"
        print(f"  connect: {connect}", file=out)
        for sc in scenarios:
            wf_id = sandbox.launch(sc.name, project=args.project, domain=args.domain, **sc.params)
            print(f"  {sc}: {sandbox.console_url(wf_id)}", file=out)
        print("Press Ctrl-C to stop.", file=out, flush=True)
        # Poll instead of stop.wait(): the SIGINT handler calls stop.set(), which takes the Event's lock; a signal
        # landing while this thread held that lock inside wait() would deadlock the handler (a rare hang on Ctrl-C).
        # is_set() takes no lock, and sleep() is where the handler runs.
        while not stop.is_set():
            time.sleep(_POLL_S)
        print("Stopping the sandbox.", file=out, flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``flyteexec-widget`` script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command == "sandbox":
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            del signum, frame
            stop.set()

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            return run_sandbox(args, stop=stop)
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover - argparse rejects it first
    return 2  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
