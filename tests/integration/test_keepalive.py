"""Keepalive against a server enforcing gRPC's default policy, as a default FlyteAdmin does (grpc-go: a ping at most
every 5 minutes during calls, none while idle; the third bad ping earns GOAWAY ``too_many_pings``).

Waiting 10 real minutes is no test, so time is scaled: the sandbox's enforcement minimum and the client's own
keepalive interval are both divided by the same factor. What is proved is the relation the defaults must keep
(the client never pings more often, nor while idle, than the server allows), on real gRPC: after idling past two
ping intervals and through a slow call, every call still arrives on the client's first connection (a GOAWAY would
force a new one) and nothing was retried (the live view would have said "reconnecting").
"""

from __future__ import annotations

import time
from typing import Any

from flyteidl.admin import execution_pb2

from flyteexec_widget.admin import client as client_mod
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import DEFAULT_MIN_PING_INTERVAL_MS, Sandbox

#: Real intervals / SCALE: the server allows a ping every 1.2 s, the client's default becomes 1.32 s.
SCALE = 250
#: The server tolerates two early pings and cuts the connection at the third: a client pinging while idle (every
#: 1.32 s, or every 30 s scaled down to gRPC's floor of 1 s) is cut off after 4 pings, within 5.3 s of idling.
IDLE_S = 6.5


def _scaled_client_options() -> list[tuple[str, Any]]:
    options = dict(client_mod._CHANNEL_OPTIONS)
    return [("grpc.keepalive_time_ms", options["grpc.keepalive_time_ms"] // SCALE)]


def test_the_default_keepalive_is_what_a_default_flyteadmin_accepts() -> None:
    options = dict(client_mod._CHANNEL_OPTIONS)
    assert options["grpc.keepalive_time_ms"] >= DEFAULT_MIN_PING_INTERVAL_MS
    assert options["grpc.keepalive_permit_without_calls"] == 0  # grpc-go: PermitWithoutStream=false


def test_an_idle_client_keeps_its_connection_on_a_server_enforcing_keepalive() -> None:
    retries: list[Any] = []
    with Sandbox(clock="stepped", min_ping_interval_ms=DEFAULT_MIN_PING_INTERVAL_MS // SCALE) as sb:
        wf_id = sb.launch("single-task")
        with Remote.for_sandbox(
            sb.endpoint,
            rpc_timeout=20.0,
            channel_options=_scaled_client_options(),
            on_retry=lambda *args: retries.append(args),
        ) as remote:
            remote.get_execution(wf_id)
            time.sleep(IDLE_S)  # idle: longer than two (scaled) ping intervals
            remote.get_execution(wf_id)
            sb.set_latency(3500)  # a call in flight across two (scaled) ping intervals
            remote.get_execution(wf_id)
            sb.set_latency(0)
            assert isinstance(remote.get_execution(wf_id), execution_pb2.Execution)
        assert len(sb.client_peers()) == 1, f"the client had to reconnect: {sb.client_peers()}"
    assert retries == []
