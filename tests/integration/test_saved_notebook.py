"""A notebook saved after displaying an execution still shows it (nbconvert / GitHub read the static HTML copy),
and nothing saved with it (outputs, widget state) holds a credential."""

from __future__ import annotations

import json
from collections.abc import Iterator

import nbformat
import pytest
from nbclient import NotebookClient
from nbconvert import HTMLExporter

from flyteexec_widget.sandbox import Sandbox


@pytest.fixture
def auth_sandbox() -> Iterator[Sandbox]:
    with Sandbox(clock="stepped", auth=True) as sb:
        yield sb


def test_saved_notebook_shows_the_execution_and_holds_no_credentials(
    auth_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = auth_sandbox
    wf = sb.launch("failure")
    sb.run_until_done(wf)
    cfg = sb.auth_config
    # The kernel logs in the way a user's environment would: FLYTE_* variables, no secret in the notebook.
    for key, value in {
        "FLYTE_PLATFORM_URL": sb.endpoint,
        "FLYTE_PLATFORM_INSECURE": "true",
        "FLYTE_CREDENTIALS_AUTH_MODE": "ClientSecret",
        "FLYTE_CREDENTIALS_CLIENT_ID": cfg.client_id,
        "FLYTE_CREDENTIALS_CLIENT_SECRET": cfg.client_secret,
        "FLYTECTL_CONFIG": "/nonexistent/config.yaml",
    }.items():
        monkeypatch.setenv(key, value)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "from flyteexec_widget import Remote\n"
            "remote = Remote.from_config()\n"
            f"ex = remote.fetch_execution('{wf.project}:{wf.domain}:{wf.name}')\n"
            "ex.sync()\n"
            "ex"
        )
    ]
    NotebookClient(nb, kernel_name="python3", timeout=120, store_widget_state=True).execute()

    bundles = [o["data"] for o in nb.cells[0].outputs if "data" in o]
    # Two outputs: the saved snapshot (what a front end without the widget's model shows), then the live view.
    assert [sorted(b) for b in bundles] == [
        ["text/html", "text/plain"],
        ["application/vnd.jupyter.widget-view+json", "text/plain"],
    ]
    assert "Saved snapshot" in bundles[0]["text/html"]
    assert "[Failed]" in bundles[0]["text/plain"]
    saved = json.dumps(nb)
    issued = list(sb.authority._tokens)
    assert issued, "the kernel never logged in: the test would prove nothing"
    assert not any(token in saved for token in issued)
    assert cfg.client_secret not in saved

    html, _resources = HTMLExporter().from_notebook_node(nb)
    assert wf.name in html
    assert "n1" in html  # the failed node
    assert "Failed at transform (n1): KeyError:" in html  # where it failed, and its exception line
