"""Task details in the real widget (JupyterLab and Notebook 7): a task node's detail shows what its task declares, with
console links, and a cache hit's detail links the execution that produced the cached value."""

from __future__ import annotations

import urllib.request

import pytest
from playwright.sync_api import expect

from flyteexec_widget.objects.phases import WorkflowPhase
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import Sandbox
from tests.browser.conftest import OpenNotebook
from tests.browser.lab import UI

LONG_MS = 60_000


@pytest.mark.parametrize("ui", ["lab", "notebook7"])
def test_a_task_nodes_detail_shows_its_task_and_a_cache_hit_its_source(open_notebook: OpenNotebook, ui: UI) -> None:
    with Sandbox(clock="stepped") as sb, Remote.for_sandbox(sb.endpoint) as remote:
        fill = sb.launch("cache-fill")
        assert sb.run_until_done(fill) == WorkflowPhase.SUCCEEDED
        wf_id = sb.launch("all-kinds")
        sb.advance(2)
        remote.approve(wf_id, "approve-me")
        remote.set_signal(wf_id, "threshold", 0.7)
        assert sb.run_until_done(wf_id) == WorkflowPhase.FAILED
        ref = f"{wf_id.project}:{wf_id.domain}:{wf_id.name}"
        nb = open_notebook(
            f"task_details-{ui}.ipynb",
            [
                "from flyteexec_widget import Remote, watch\n"
                f"remote = Remote.for_sandbox({sb.endpoint!r}, console_endpoint={sb.console_endpoint!r})\n"
                f"execution = remote.fetch_execution({ref!r})\n"
                "print('FETCHED', execution.id.name)\n"
                "watch(execution)\n"
            ],
            ui,
        )
        nb.run_all()
        nb.wait_for_output("FETCHED")
        rpc_before = sb.rpc_counts().get("GetTask", 0)

        # flaky (n0): retried twice, interruptible, an env value with markup in it
        row = nb.output('.fxw-row[data-key="n0"]')
        expect(row).to_have_attribute("data-phase", "SUCCEEDED", timeout=LONG_MS)
        row.locator('[data-action="details"]').click()
        task = nb.output('.fxw-detail[data-key="n0"] .fxw-task')
        expect(task.locator('[data-fact="retries"] .fxw-fact-v')).to_have_text("2", timeout=LONG_MS)
        expect(task.locator('[data-fact="interruptible"] .fxw-fact-v')).to_have_text("yes")
        expect(task.locator('[data-fact="type"] .fxw-fact-v')).to_have_text("python-task")
        expect(task.locator(".fxw-task-image code")).to_have_text("cr.flyte.org/flyteorg/flytekit:py3.11-1.16.0")
        expect(task.locator('tr[data-resource="cpu"] td')).to_have_text(["cpu", "1", "2"])
        expect(task.locator('tr[data-resource="memory"] td')).to_have_text(["memory", "1Gi", "2Gi"])
        env = task.locator(".fxw-task-env")
        expect(env.locator("summary")).to_have_text("environment (2)")
        env.locator("summary").click()
        value = env.locator(".fxw-kv", has_text="RETRY_NOTE").locator(".fxw-task-envv")
        expect(value).to_have_text("<b>3 attempts</b> & no markup")  # shown as text, never as markup
        expect(env.locator("b")).to_have_count(0)
        base = f"{sb.console_endpoint}/console/projects/flytesnacks/domains/development"
        expect(task.locator('a[data-link="task"]')).to_have_attribute("href", f"{base}/task/sandbox.flaky/version/v1")
        expect(task.locator('a[data-link="workflow"]')).to_have_attribute(
            "href", f"{base}/workflow/sandbox.all_kinds.wf/version/v1"
        )
        expect(task.locator('a[data-link="launch_plan"]')).to_have_attribute(
            "href", f"{base}/launch_plan/sandbox.all_kinds.wf/version/v1"
        )
        nb.screenshot("task-details", task)

        # cached (n1): a hit whose detail says which execution produced the value, linked to its console page
        hit = nb.output('.fxw-row[data-key="n1"]')
        hit.locator('[data-action="details"]').click()
        detail = nb.output('.fxw-detail[data-key="n1"]')
        source = detail.locator(".fxw-cache-source a")
        expect(source).to_have_text(fill.name, timeout=LONG_MS)
        expect(source).to_have_attribute("href", sb.console_url(fill))
        expect(detail.locator(".fxw-task-watch")).to_have_text(f'watch("flytesnacks:development:{fill.name}", remote)')
        expect(detail.locator('[data-fact="cache"] .fxw-fact-v')).to_have_text("on, version 1.0, serializable")
        href = source.get_attribute("href")
        assert href is not None
        with urllib.request.urlopen(href, timeout=10) as page:  # the link leads to the source execution's page
            assert fill.name in page.read().decode()
        nb.screenshot("task-details-cache-hit", detail.locator(".fxw-task"))
        nb.screenshot("task-details-page")  # both details open: the rows below make room for them

        # one GetTask per task: closing and opening again, and the same task elsewhere, ask nothing more
        row.locator('[data-action="details"]').click()
        row.locator('[data-action="details"]').click()
        expect(task.locator('[data-fact="retries"] .fxw-fact-v')).to_have_text("2", timeout=LONG_MS)
        assert sb.rpc_counts().get("GetTask", 0) - rpc_before == 2  # flaky, cached
