"""Bad references fail closed over real gRPC: a console URL of another cluster is refused (not fetched from this one
under the same project/domain/name), and an over-long project/domain/name is refused before any RPC is sent.

Two sandboxes on 127.0.0.1 stand for two clusters: they differ by port only, as two local clusters would.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from flyteexec_widget.admin.errors import InvalidReferenceError
from flyteexec_widget.display import notebook
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import Sandbox


@pytest.fixture
def other_sandbox() -> Iterator[Sandbox]:
    with Sandbox(clock="stepped") as sb:
        yield sb


def test_a_console_url_of_another_cluster_is_refused_not_fetched_here(
    sandbox: Sandbox, other_sandbox: Sandbox, remote: Remote
) -> None:
    # the same project/domain/name exists on both: the old code fetched ours for the other cluster's URL
    name = "samename"
    ours = sandbox.launch("single-task", name=name)
    theirs = other_sandbox.launch("demo", name=name)
    sandbox.reset_rpc_counts()
    for fetch in (remote.fetch_execution, lambda url: notebook.watch(url, remote)):
        with pytest.raises(InvalidReferenceError) as ei:
            fetch(other_sandbox.console_url(theirs))
        message = str(ei.value)
        assert f"is on 127.0.0.1:{other_sandbox.console_endpoint.rsplit(':', 1)[1]}" in message
        assert f"not on this Remote's cluster (admin {sandbox.endpoint})" in message
    assert sandbox.rpc_counts() == {}  # nothing was asked of this cluster
    # the cluster's own console URLs still work: on the admin's host, and on its console endpoint (the sandbox's
    # console pages are on its HTTP side) once the Remote knows it
    assert remote.fetch_execution(remote.generate_console_url(ours)).id.name == name
    with Remote.for_sandbox(sandbox.endpoint, console_endpoint=sandbox.console_endpoint) as linked:
        assert linked.fetch_execution(sandbox.console_url(ours)).id.name == name
        w = notebook.watch(sandbox.console_url(ours), linked)
        w.close()


@pytest.mark.parametrize("what", ["project", "domain", "name"])
def test_an_over_long_part_is_refused_before_sending(sandbox: Sandbox, remote: Remote, what: str) -> None:
    parts = {"project": "flytesnacks", "domain": "development", "name": "abc"}
    parts[what] = "x" * 100_000
    sandbox.reset_rpc_counts()
    with pytest.raises(InvalidReferenceError) as ei:
        remote.fetch_execution(parts["project"], parts["domain"], parts["name"])
    assert "is 100,000 characters long; FlyteAdmin allows at most 63" in str(ei.value)
    assert len(str(ei.value)) < 400
    assert sandbox.rpc_counts() == {}


def test_an_over_long_new_name_is_refused_before_relaunching(sandbox: Sandbox, remote: Remote) -> None:
    wf_id = sandbox.launch("single-task")
    sandbox.reset_rpc_counts()
    for act in (remote.relaunch, remote.recover):
        with pytest.raises(InvalidReferenceError, match=r"execution name 'yyyy.* allows at most 63"):
            act(wf_id, name="y" * 64)
    assert sandbox.rpc_counts() == {}
