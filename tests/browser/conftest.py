"""Fixtures of the real-browser tier: one JupyterLab server and one Chromium per session, a fresh page per test.

Every test under tests/browser/ gets the ``browser`` marker. The tier is skipped only where it cannot run and
nobody is expected to make it run: /usr/bin/chromium absent and not root. As root (CI), scripts/test.sh installs
Chromium, so its absence there is a failure, not a skip.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.lab import (
    CHROMIUM,
    CHROMIUM_ARGS,
    UI,
    LabServer,
    NotebookSession,
    add_ipykernel6_kernel,
    collect_page_errors,
    make_workdir,
    save_screenshot,
    start_lab_server,
    write_notebook,
)


class OpenNotebook(Protocol):
    """``open_notebook(name, cells, ui, kernel=...)``; ``cells=None`` opens a notebook already in the root dir."""

    def __call__(
        self, name: str, cells: Sequence[str] | None, ui: UI = "lab", *, kernel: str = "python3"
    ) -> NotebookSession: ...


_HERE = Path(__file__).resolve().parent


def _in_browser_tier(item: pytest.Item) -> bool:
    return _HERE in Path(str(item.path)).resolve().parents


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tier ``browser``; skip it (with the reason) only without Chromium and without root."""
    no_browser = not CHROMIUM.exists() and os.geteuid() != 0
    skip = pytest.mark.skip(
        reason=f"{CHROMIUM} is missing and we are not root: install Debian's chromium "
        "(apt-get install chromium) or run scripts/test.sh as root, which installs it"
    )
    for item in items:
        if _in_browser_tier(item):
            item.add_marker(pytest.mark.browser)
            if no_browser:
                item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each phase's report on the item so the ``page`` fixture can screenshot failures."""
    rep = yield
    setattr(item, f"rep_{rep.when}", rep)  # type: ignore[attr-defined]
    return rep


@pytest.fixture(scope="session")
def lab_server() -> Iterator[LabServer]:
    """A JupyterLab (and Notebook 7) server on a free 127.0.0.1 port, token auth, temp root and JUPYTER_* dirs."""
    workdir = make_workdir("fxw-lab-")
    # Kernels inherit this: the shipped notebooks' in-kernel sandbox plays 10x faster than real time.
    server = start_lab_server(workdir, extra_env={"FLYTEEXEC_DEMO_SPEED": "10"})
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def ipykernel6(lab_server: LabServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The name of a kernel running this venv with ipykernel 6 instead of 7 (installed from PyPI on first use)."""
    return add_ipykernel6_kernel(lab_server, tmp_path_factory.mktemp("ipykernel6"))


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright (its own browser download cannot work offline)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test.sh installs it as root (apt-get install chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh context and page; on failure a screenshot ``FAILED-<test>.png`` and the page's errors."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    page_errors = collect_page_errors(pg)
    try:
        yield pg
    finally:
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            try:
                path = save_screenshot(pg, f"FAILED-{request.node.name}")
                print(f"screenshot: {path}")
            except Exception as exc:  # the page may be gone; the original failure matters more
                print(f"no failure screenshot: {exc}")
            if page_errors:
                print("page errors:\n" + "\n".join(page_errors))
        context.close()
    # After a passing test: an uncaught exception in the page, or a warning the widget logged (a failed request),
    # is a failure too (the widget swallows nothing silently, so nothing should show up here).
    if rep is not None and rep.passed and page_errors:
        pytest.fail("the page reported errors:\n" + "\n".join(page_errors))


@pytest.fixture
def open_notebook(lab_server: LabServer, page: Page) -> Iterator[OpenNotebook]:
    """``open_notebook(name, cells, ui)``: write the notebook (unless ``cells`` is None), open it in ``page``, wait
    for its kernel.

    The kernels it started are shut down after the test.
    """
    sessions: list[NotebookSession] = []

    def _open(name: str, cells: Sequence[str] | None, ui: UI = "lab", *, kernel: str = "python3") -> NotebookSession:
        if cells is not None:
            write_notebook(lab_server.root_dir, name, cells, kernel)
        nb = NotebookSession(page, lab_server, name, ui)
        sessions.append(nb)
        return nb.open()

    yield _open
    for nb in sessions:
        nb.shutdown()
