"""The harness itself, on the behaviour the real widget relies on: a trait set by a background thread reaches the
DOM while the cell that displayed the widget is still blocked (what a blocking ``wait()`` needs to show progress).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import OpenNotebook
from tests.browser.lab import UI, LabServer

_PROBE_WIDGET = '''
import pathlib, threading, time
import anywidget, traitlets

class Probe(anywidget.AnyWidget):
    _esm = """
    function render({ model, el }) {
      const span = document.createElement("span");
      span.className = "probe-count";
      const update = () => {
        span.textContent = `probe count=${model.get("count")}`;
        span.dataset.count = String(model.get("count"));
      };
      model.on("change:count", update);
      update();
      el.appendChild(span);
    }
    export default { render };
    """
    count = traitlets.Int(0).tag(sync=True)

probe = Probe()
print("PROBE-DEFINED")
'''

# The cell blocks until the test creates RELEASE; meanwhile a thread bumps the trait. Waiting on a file the
# test controls (not a fixed sleep) is what proves the updates arrived *while* the cell was blocked.
_BLOCKING_CELL = """
release = pathlib.Path({release!r})
def bump():
    while not release.exists():
        probe.count += 1
        time.sleep(0.1)
display(probe)
worker = threading.Thread(target=bump, daemon=True)
worker.start()
while not release.exists():
    time.sleep(0.05)
worker.join()
print(f"RELEASED final={{probe.count}}")
"""


@pytest.mark.parametrize("ui", ["lab", "notebook7"])
def test_thread_trait_updates_reach_dom_while_cell_blocks(
    lab_server: LabServer, open_notebook: OpenNotebook, ui: UI
) -> None:
    release = lab_server.root_dir / f"release-{ui}"
    nb = open_notebook(f"probe-{ui}.ipynb", [_PROBE_WIDGET, _BLOCKING_CELL.format(release=str(release))], ui)
    page = nb.page
    nb.run_all()

    nb.wait_for_output("PROBE-DEFINED")
    # The count goes past 3 in the browser: several thread updates were rendered live.
    page.wait_for_function(
        "(id) => { const e = document.getElementById(id)?.querySelector('.probe-count');"
        " return e && Number(e.dataset.count) >= 3; }",
        arg=nb.panel_id,
        timeout=60_000,
    )
    assert nb.cell_is_running(1), "the blocking cell finished before the live updates were seen"
    assert nb.output().filter(has_text="RELEASED").count() == 0
    nb.screenshot("probe-live")

    release.touch()
    nb.wait_for_output("RELEASED final=")
    final = nb.output().filter(has_text="RELEASED final=").first.inner_text().split("final=")[1].strip()
    # The last value set by the thread is the one the DOM shows.
    expect(nb.output(".probe-count")).to_have_attribute("data-count", final)
    # The prompt leaves "[*]" when the execute reply arrives, just after the cell's last output: waited for.
    expect(nb.panel.locator(".jp-Cell").nth(1).locator(".jp-InputPrompt")).not_to_contain_text("*")
