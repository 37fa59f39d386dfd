"""Keepalive against a server enforcing gRPC's default policy, as a default FlyteAdmin's plain gRPC listener does
(grpc-go: a ping at most every 5 minutes during calls, none while idle; too many bad pings earn GOAWAY
``too_many_pings`` and the connection is closed).

Waiting 10 real minutes is no test, so time is scaled: the sandbox's enforcement minimum and the client's own
keepalive interval are both divided by the same factor. What is proved is the relation the defaults must keep (the
client never pings more often, nor while idle, than the server allows), on real gRPC: after idling longer than the
time a client pinging while idle needs to be cut off, the next call still arrives on the client's first connection
(a GOAWAY closes the connection, and the call would come on a new one). The control case is such a client (the
client's settings before issue 11: pings while idle, unlimited): the same test sees it reconnect.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from flyteexec_widget.admin import client as client_mod
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import DEFAULT_MIN_PING_INTERVAL_MS, Sandbox

#: Real intervals / SCALE: the server allows a ping every 1.2 s, the client's default (5.5 min) becomes 1.32 s.
SCALE = 250
SERVER_MIN_PING_MS = DEFAULT_MIN_PING_INTERVAL_MS // SCALE
CLIENT_PING_MS = client_mod.KEEPALIVE_TIME_MS // SCALE
#: The sandbox's grpc server (``grpc.http2.max_ping_strikes`` 2) takes every ping while no call is in flight as a
#: strike but the first, and sends GOAWAY on the third strike: a client pinging while idle every CLIENT_PING_MS is
#: cut off after 4 pings (5.28 s). Idling a further 1.2 s leaves room for timer slack.
PINGS_TO_GOAWAY = 4
IDLE_S = PINGS_TO_GOAWAY * CLIENT_PING_MS / 1000 + 1.2
#: The client's settings before issue 11: pings while idle, with no limit on pings between data frames.
PINGS_WHILE_IDLE = {"grpc.keepalive_permit_without_calls": 1, "grpc.http2.max_pings_without_data": 0}


def test_the_default_keepalive_is_what_a_default_flyteadmin_accepts() -> None:
    options = dict(client_mod._CHANNEL_OPTIONS)
    assert options["grpc.keepalive_time_ms"] >= DEFAULT_MIN_PING_INTERVAL_MS
    assert options["grpc.keepalive_permit_without_calls"] == 0  # grpc-go: PermitWithoutStream=false


def test_the_idle_time_covers_more_than_two_scaled_ping_intervals() -> None:
    assert CLIENT_PING_MS >= SERVER_MIN_PING_MS  # the relation the real defaults keep, kept by the scaling
    assert IDLE_S * 1000 > 2 * CLIENT_PING_MS


@pytest.mark.parametrize(
    ("extra_options", "connections"),
    [
        pytest.param({}, 1, id="default-keeps-its-connection"),
        pytest.param(PINGS_WHILE_IDLE, 2, id="control-idle-pings-are-cut-off"),
    ],
)
def test_after_idling_a_call_reuses_the_connection_on_a_server_enforcing_keepalive(
    extra_options: dict[str, Any], connections: int
) -> None:
    options = [("grpc.keepalive_time_ms", CLIENT_PING_MS), *extra_options.items()]
    with Sandbox(clock="stepped", min_ping_interval_ms=SERVER_MIN_PING_MS) as sb:
        wf_id = sb.launch("single-task")
        with Remote.for_sandbox(sb.endpoint, rpc_timeout=20.0, channel_options=options) as remote:
            remote.get_execution(wf_id)
            first = sb.client_peers()
            assert len(first) == 1
            time.sleep(IDLE_S)  # idle, no call in flight
            remote.get_execution(wf_id)
            peers = sb.client_peers()
        assert peers[0] == first[0]
        assert len(peers) == connections, f"connections the calls came on: {peers}"
