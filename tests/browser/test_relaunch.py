"""Relaunch with new inputs, and Recover, in JupyterLab and Notebook 7: the form built from the launch plan's types, an
edited input checked as it is typed, the launch, the same widget following the new execution (whose inputs, read from
the sandbox through the API, carry the edit), the link back to the original; Recover follows too."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from flyteexec_widget.objects.phases import WorkflowPhase
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import Sandbox
from tests.browser.conftest import OpenNotebook
from tests.browser.lab import UI
from tests.browser.test_layout import _set_theme

LONG_MS = 60_000


def cells(sb: Sandbox, ref: str) -> list[str]:
    return [
        "from flyteexec_widget import Remote, watch\n"
        f"remote = Remote.for_sandbox({sb.endpoint!r}, console_endpoint={sb.console_endpoint!r})\n"
        f"w = watch({ref!r}, remote)\n"
        "print('WATCHING')\n"
        "w\n"
    ]


@pytest.mark.parametrize("ui", ["lab", "notebook7"])
def test_relaunch_with_an_edited_input_follows_the_new_execution(open_notebook: OpenNotebook, ui: UI) -> None:
    with Sandbox(clock="stepped") as sb, Remote.for_sandbox(sb.endpoint) as api:
        wf_id = sb.launch("typed-inputs")
        assert sb.run_until_done(wf_id) == WorkflowPhase.SUCCEEDED
        ref = f"{wf_id.project}:{wf_id.domain}:{wf_id.name}"
        nb = open_notebook(f"relaunch-{ui}.ipynb", cells(sb, ref), ui)
        nb.run_all()
        nb.wait_for_output("WATCHING")
        root = nb.output(".fxw-live")
        expect(root).to_have_attribute("data-phase", "SUCCEEDED", timeout=LONG_MS)
        header_name = nb.output(".fxw-title .fxw-exec")
        expect(header_name).to_have_text(wf_id.name)

        nb.output('[data-action="relaunch"]').click()
        form = nb.output(".fxw-relaunch")
        epochs = form.locator('.fxw-rl-field[data-name="epochs"] .fxw-rl-input')
        expect(epochs).to_have_value("20", timeout=LONG_MS)  # prefilled with this execution's input
        expect(form.locator('.fxw-rl-field[data-name="layers"] .fxw-rl-input')).to_have_value("[64, 32, 16]")
        expect(form.locator('.fxw-rl-field[data-name="optimizer"] select')).to_have_value("adam")
        expect(form.locator('.fxw-rl-field[data-name="region"] .fxw-rl-input')).to_have_attribute("readonly", "")
        launch = form.locator('[data-action="launch"]')

        # checked at once, per field, naming it and what is valid
        epochs.fill("lots")
        expect(form.locator('.fxw-rl-field[data-name="epochs"] .fxw-rl-error')).to_have_text(
            "epochs: enter a whole number, e.g. 42 (int)"
        )
        expect(launch).to_be_disabled()
        layers = form.locator('.fxw-rl-field[data-name="layers"] .fxw-rl-input')
        layers.fill('[5, "six"]')
        expect(form.locator('.fxw-rl-field[data-name="layers"] .fxw-rl-error')).to_have_text(
            "layers: item 1: expected a whole number (list[int])"
        )
        nb.screenshot("relaunch-form-errors", form)
        _set_theme(nb, "dark")
        nb.screenshot("relaunch-form-errors-dark", form)
        _set_theme(nb, "light")
        epochs.fill("42")
        layers.fill("[5, 6, 7]")
        expect(form.locator(".fxw-rl-field--bad")).to_have_count(0)
        expect(launch).to_be_enabled()
        nb.screenshot("relaunch-form", nb.output(".fxw-header"))
        launch.click()

        # the same widget now shows the new execution, with the way back
        expect(header_name).not_to_have_text(wf_id.name, timeout=LONG_MS)
        new_name = header_name.inner_text().strip()
        trail = nb.output(".fxw-trail")
        expect(trail).to_contain_text(f"relaunched with new inputs from {wf_id.name}")
        expect(form).to_be_hidden()
        assert sb.run_until_done(f"{wf_id.project}:{wf_id.domain}:{new_name}") == WorkflowPhase.SUCCEEDED
        expect(root).to_have_attribute("data-phase", "SUCCEEDED", timeout=LONG_MS)
        expect(nb.output('.fxw-row[data-key="n1"]')).to_have_attribute("data-phase", "SUCCEEDED", timeout=LONG_MS)
        nb.screenshot("relaunch-followed", nb.output(".fxw-live"))

        inputs = dict(api.fetch_execution(wf_id.project, wf_id.domain, new_name).inputs)
        assert inputs["epochs"] == 42
        assert inputs["layers"] == [5, 6, 7]
        assert inputs["optimizer"] == "adam"  # untouched inputs are the original's
        assert inputs["region"] == "eu-west-1"  # the fixed one, the launch plan's

        # back to the original, and forward again
        trail.locator('[data-action="follow-back"]').click()
        expect(header_name).to_have_text(wf_id.name, timeout=LONG_MS)
        expect(trail).to_contain_text(f"relaunched with new inputs as {new_name}")
        expect(nb.output('.fxw-row[data-key="n1"]')).to_have_attribute("data-phase", "SUCCEEDED", timeout=LONG_MS)
        trail.locator('[data-action="follow-forward"]').click()
        expect(header_name).to_have_text(new_name, timeout=LONG_MS)


@pytest.mark.parametrize("ui", ["lab", "notebook7"])
def test_recover_follows_the_recovered_execution(open_notebook: OpenNotebook, ui: UI) -> None:
    with Sandbox(clock="stepped") as sb:
        wf_id = sb.launch("failure")
        assert sb.run_until_done(wf_id) == WorkflowPhase.FAILED
        ref = f"{wf_id.project}:{wf_id.domain}:{wf_id.name}"
        nb = open_notebook(f"recover-{ui}.ipynb", cells(sb, ref), ui)
        nb.run_all()
        nb.wait_for_output("WATCHING")
        root = nb.output(".fxw-live")
        expect(root).to_have_attribute("data-phase", "FAILED", timeout=LONG_MS)
        header_name = nb.output(".fxw-title .fxw-exec")

        nb.output('[data-action="recover"]').click()
        nb.output('[data-action="recover-confirm"]').click()
        expect(header_name).not_to_have_text(wf_id.name, timeout=LONG_MS)
        new_name = header_name.inner_text().strip()
        expect(nb.output(".fxw-trail")).to_contain_text(f"recovered from {wf_id.name}")
        sb.run_until_done(f"{wf_id.project}:{wf_id.domain}:{new_name}")
        # the new execution's rows replace the old ones: a node that succeeded before is RECOVERED now
        expect(nb.output('.fxw-row[data-phase="RECOVERED"]').first).to_be_visible(timeout=LONG_MS)
        nb.screenshot("recover-followed", nb.output(".fxw-live"))
