"""flytekit's objects shown live: the display formatter by class name, finding a flytekit execution's FlyteRemote,
mapping flytekit's PlatformConfig onto ours, and the config error that says where it looked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flyteidl.admin import execution_pb2 as admin_execution_pb2
from flyteidl.core import identifier_pb2
from IPython.core.formatters import IPythonDisplayFormatter

import flyteexec_widget
from flyteexec_widget import flytekit_remotes
from flyteexec_widget.admin import ipython
from flyteexec_widget.admin.config import ENV_VARS
from flyteexec_widget.admin.errors import ConfigError
from flyteexec_widget.admin.flytekit_config import config_from_flytekit
from flyteexec_widget.display import flytekit_display, notebook
from flyteexec_widget.remote import Remote

flytekit_configuration = pytest.importorskip("flytekit.configuration")
flytekit_remote = pytest.importorskip("flytekit.remote")
flytekit_executions = pytest.importorskip("flytekit.remote.executions")


@pytest.fixture(autouse=True)
def no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No config file and no FLYTE_* variables: only what a test gives is seen."""
    for name in [*ENV_VARS, "FLYTECTL_CONFIG"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


class FakeShell:
    """What the formatter and the namespace lookup read of IPython's shell (a real display formatter)."""

    def __init__(self, user_ns: dict[str, Any] | None = None, kernel: bool = True) -> None:
        self.display_formatter = type("DF", (), {"ipython_display_formatter": IPythonDisplayFormatter()})()
        self.kernel = object() if kernel else None
        self.user_ns = user_ns if user_ns is not None else {}


def flyte_remote(endpoint: str = "127.0.0.1:30080", **platform: Any) -> Any:
    cfg = flytekit_configuration.Config(
        platform=flytekit_configuration.PlatformConfig(endpoint=endpoint, insecure=True, **platform)
    )
    return flytekit_remote.FlyteRemote(cfg, default_project="flytesnacks", default_domain="development")


def flytekit_execution(remote: Any = None) -> Any:
    proto = admin_execution_pb2.Execution(
        id=identifier_pb2.WorkflowExecutionIdentifier(project="flytesnacks", domain="development", name="abc")
    )
    models = flytekit_executions.execution_models.Execution.from_flyte_idl(proto)
    return flytekit_executions.FlyteWorkflowExecution.promote_from_model(models, remote=remote)


# ---- the formatter ---------------------------------------------------------------------------------------------


def test_the_formatter_is_found_for_flytekits_execution_by_class_name(monkeypatch: pytest.MonkeyPatch) -> None:
    shell = FakeShell()
    shown: list[Any] = []
    monkeypatch.setattr(notebook, "display_flytekit", shown.append)
    assert flytekit_display.register(shell)
    assert flytekit_display.is_registered(shell)
    ex = flytekit_execution()
    assert shell.display_formatter.ipython_display_formatter(ex) is True  # IPython: "displayed, show no repr"
    assert shown == [ex]
    flytekit_display.unregister(shell)  # also once the name was resolved to the class (the lookup above)
    assert not flytekit_display.is_registered(shell)
    assert shell.display_formatter.ipython_display_formatter(ex) is None  # flytekit's repr again
    assert shown == [ex]


def test_not_registered_outside_a_kernel_nor_when_turned_off_by_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = FakeShell(kernel=False)
    assert not flytekit_display.register(terminal)
    assert not flytekit_display.is_registered(terminal)
    kernel_shell = FakeShell()
    monkeypatch.setattr(ipython, "ipython_shell", lambda: kernel_shell)
    monkeypatch.setenv(flytekit_display.OFF_VARIABLE, "0")
    flytekit_display.register_at_import()
    assert not flytekit_display.is_registered(kernel_shell)
    monkeypatch.delenv(flytekit_display.OFF_VARIABLE)
    flytekit_display.register_at_import()
    assert flytekit_display.is_registered(kernel_shell)


def test_the_public_switch_and_the_extension_hooks(monkeypatch: pytest.MonkeyPatch) -> None:
    shell = FakeShell()
    monkeypatch.setattr(ipython, "ipython_shell", lambda: shell)
    assert flyteexec_widget.flytekit_display(False) is False
    assert not flytekit_display.is_registered(shell)
    assert flyteexec_widget.flytekit_display(True) is True
    assert flytekit_display.is_registered(shell)
    flyteexec_widget.unload_ipython_extension(shell)
    assert not flytekit_display.is_registered(shell)
    flyteexec_widget.load_ipython_extension(shell)
    assert flytekit_display.is_registered(shell)
    with pytest.raises(TypeError, match="True or False"):
        flyteexec_widget.flytekit_display("off")  # type: ignore[arg-type]


def test_importing_in_a_kernel_registers_without_loading_flytekit_grpc_or_widgets() -> None:
    code = (
        "import sys, types\n"
        "from IPython.core.formatters import IPythonDisplayFormatter\n"
        "fmt = IPythonDisplayFormatter()\n"
        "shell = types.SimpleNamespace(kernel=object(), user_ns={},\n"
        "    display_formatter=types.SimpleNamespace(ipython_display_formatter=fmt))\n"
        "import IPython; IPython.get_ipython = lambda: shell\n"
        "import flyteexec_widget\n"
        "print(sorted(fmt.deferred_printers), sorted(m for m in ('grpc', 'ipywidgets', 'anywidget', 'flytekit')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[('flytekit.remote.executions', 'FlyteWorkflowExecution')] []"


# ---- which FlyteRemote ------------------------------------------------------------------------------------------


def test_an_execute_result_uses_its_own_flyte_remote() -> None:
    fr = flyte_remote("admin.example.com:443")
    found, how = flytekit_remotes.find_flyte_remote(flytekit_execution(remote=fr))
    assert found is fr
    assert how == "the execution's own FlyteRemote"


def test_a_fetched_execution_uses_the_one_connection_of_the_notebooks_remotes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fr = flyte_remote("admin.example.com:443")
    same = flyte_remote("admin.example.com:443")
    shell = FakeShell({"fr": fr, "fr2": same, "x": 1})
    monkeypatch.setattr(ipython, "ipython_shell", lambda: shell)
    found, how = flytekit_remotes.find_flyte_remote(flytekit_execution())
    assert found is fr
    assert how == "the notebook's FlyteRemote"
    shell.user_ns["other"] = flyte_remote("other.example.com:443")
    found, how = flytekit_remotes.find_flyte_remote(flytekit_execution())
    assert found is None
    assert "several endpoints (admin.example.com:443, other.example.com:443)" in how


def test_our_remote_takes_the_flyte_remotes_settings_and_is_made_once() -> None:
    fr = flyte_remote("admin.example.com:443", insecure_skip_verify=False, console_endpoint="https://console.example")
    remote = flytekit_remotes.remote_for(fr)
    assert remote is flytekit_remotes.remote_for(fr)
    assert (remote.endpoint, remote.insecure, remote.console_endpoint) == (
        "admin.example.com:443",
        True,
        "https://console.example",
    )
    assert (remote.default_project, remote.default_domain) == ("flytesnacks", "development")
    assert remote.auth is not None
    assert remote.auth.mode == "Pkce"


@pytest.mark.parametrize(
    ("platform", "mode"),
    [
        ({"auth_mode": "ClientSecret", "client_id": "cid", "client_credentials_secret": "s3cret"}, "ClientSecret"),
        ({"auth_mode": "client_credentials", "client_id": "cid", "client_credentials_secret": "s"}, "ClientSecret"),
        ({"auth_mode": "ExternalCommand", "command": ["get-token", "--quiet"]}, "ExternalCommand"),
        ({"auth_mode": "DeviceFlow", "client_id": "cid"}, "DeviceFlow"),
    ],
)
def test_flytekits_auth_modes_map_onto_ours(platform: dict[str, Any], mode: str) -> None:
    fk = flytekit_configuration.PlatformConfig(endpoint="dns:///admin.example.com:443", scopes=["all"], **platform)
    cfg = config_from_flytekit(fk)
    assert cfg.endpoint == "admin.example.com:443"  # dns:/// dropped, as everywhere
    assert cfg.auth_type == mode
    assert cfg.scopes == ("all",)
    assert "s3cret" not in repr(cfg)
    remote = Remote.from_platform_config(cfg)
    assert remote.auth is not None
    assert remote.auth.mode == mode


def test_an_auth_plugin_mode_is_named_not_guessed() -> None:
    fk = flytekit_configuration.PlatformConfig(endpoint="admin:443", auth_mode="my_plugin")
    with pytest.raises(ConfigError, match="unknown flytekit auth_mode 'my_plugin'; valid values"):
        config_from_flytekit(fk)


# ---- watch() of a flytekit execution, and the config error --------------------------------------------------------


def test_watch_without_remote_or_config_says_where_it_looked_and_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        notebook.watch(flytekit_execution())
    msg = str(info.value)
    assert "no config file was found (searched, in order: $FLYTECTL_CONFIG (unset), " in msg
    assert str(tmp_path / "flytekit.config") in msg
    assert str(tmp_path / "home" / ".flyte" / "config.yaml") in msg
    assert "FLYTE_PLATFORM_URL is unset" in msg
    assert "set FLYTE_PLATFORM_URL=host:port" in msg
    assert "fetch_execution() gives none" in msg
    assert "pass remote= (your FlyteRemote, or a Remote)" in msg
    assert "pass endpoint=..." not in msg  # watch() takes no endpoint=: the message says whose argument it is
    assert "Remote.from_config(endpoint='host:port')" in msg
    assert "was found has no" not in msg  # the old message


def test_the_config_error_names_a_file_without_an_endpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("admin:\n  insecure: true\n")
    monkeypatch.setenv("FLYTECTL_CONFIG", str(cfg))
    with pytest.raises(ConfigError) as info:
        Remote.from_config()
    assert str(info.value) == (
        f"no FlyteAdmin endpoint: the config file {cfg} has no admin.endpoint and FLYTE_PLATFORM_URL is unset; "
        f"set admin.endpoint in {cfg}, set FLYTE_PLATFORM_URL=host:port, or connect with "
        "Remote.from_config(endpoint='host:port')"
    )


def test_displaying_without_any_remote_shows_flytekits_text_and_why(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[Any] = []
    monkeypatch.setattr(notebook, "display", lambda data, **kw: shown.append(data))
    ex = flytekit_execution()
    notebook.display_flytekit(ex)
    assert len(shown) == 1
    text = shown[0]["text/plain"]
    assert text.startswith(repr(ex))
    assert "flyteexec-widget shows no live view: no FlyteAdmin endpoint" in text


def test_watch_accepts_a_flyte_remote_as_remote() -> None:
    fr = flyte_remote("admin.example.com:443")
    ex = notebook._resolve_execution(flytekit_execution(), fr, None, None)
    assert ex._remote is flytekit_remotes.remote_for(fr)
    assert ex._ref == "flytesnacks:development:abc"


def test_flytekits_default_pkce_says_what_to_pass_instead_when_a_token_is_needed() -> None:
    from flyteexec_widget.admin.auth import ServerAuthConfig

    remote = flytekit_remotes.remote_for(flyte_remote("pkce.example.com:443"))
    assert remote.auth is not None
    with pytest.raises(ConfigError, match=r"the FlyteRemote logs in with Pkce \(auth_mode 'standard'.*pass remote="):
        remote.auth.refresh(ServerAuthConfig())


@pytest.mark.parametrize("remote", [None, "flyte_remote"])
def test_watch_of_a_flytekit_node_execution_says_to_watch_its_workflow_execution(remote: str | None) -> None:
    """flytekit's FlyteNodeExecution has ``to_flyte_idl()`` and ``id`` too: it must not be taken for a workflow
    execution (a confusing config error without remote=, a message-type error with it)."""
    from flyteidl.admin import node_execution_pb2

    proto = node_execution_pb2.NodeExecution(
        id=identifier_pb2.NodeExecutionIdentifier(
            node_id="n0",
            execution_id=identifier_pb2.WorkflowExecutionIdentifier(
                project="flytesnacks", domain="development", name="abc"
            ),
        )
    )
    node = flytekit_executions.FlyteNodeExecution.promote_from_model(
        flytekit_executions.node_execution_models.NodeExecution.from_flyte_idl(proto)
    )
    with pytest.raises(TypeError) as info:
        notebook.watch(node, remote=flyte_remote() if remote else None)
    msg = str(info.value)
    assert "flytekit.remote.executions.FlyteNodeExecution" in msg
    assert "watch('flytesnacks:development:abc')" in msg
    shell = FakeShell()
    assert flytekit_display.register(shell)
    assert shell.display_formatter.ipython_display_formatter(node) is None  # displayed as flytekit shows it


@pytest.mark.parametrize("where", ["clientSecretLocation", "clientSecretEnvVar"])
def test_a_client_secret_flytekit_read_from_its_file_or_variable_carries_over(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """flytekit's ``PlatformConfig.auto()`` reads ``admin.clientSecretLocation`` / ``admin.clientSecretEnvVar`` into
    ``client_credentials_secret`` (and switches ``auth_mode`` to ClientSecret): our client logs in with that secret."""
    secret_file = tmp_path / "client_secret"
    secret_file.write_text("from-the-file\n")
    monkeypatch.setenv("MY_FLYTE_SECRET", "from-the-variable")
    value = str(secret_file) if where == "clientSecretLocation" else "MY_FLYTE_SECRET"
    cfg_file = tmp_path / "config.yaml"
    cfg_file.write_text(
        f"admin:\n  endpoint: dns:///admin.example.com:443\n  clientId: cid\n  {where}: {value}\n  scopes: [all]\n"
    )
    fr = flytekit_remote.FlyteRemote(flytekit_configuration.Config.auto(str(cfg_file)))
    remote = flytekit_remotes.remote_for(fr)
    assert remote.endpoint == "admin.example.com:443"
    assert remote.auth is not None
    assert remote.auth.mode == "ClientSecret"
    assert (remote.auth.client_id, remote.auth._secret) == (
        "cid",
        "from-the-file" if where == "clientSecretLocation" else "from-the-variable",
    )
    assert "from-the" not in repr(remote) + repr(remote.auth)


def test_the_flyte_remotes_tls_settings_carry_over(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("not read until a call is made")

    def tls(**platform: Any) -> Any:
        cfg = flytekit_configuration.Config(platform=flytekit_configuration.PlatformConfig(**platform))
        return flytekit_remotes.remote_for(flytekit_remote.FlyteRemote(cfg))

    skip = tls(endpoint="a.example.com:443", insecure_skip_verify=True)
    assert (skip.insecure, skip.insecure_skip_verify, skip.ca_cert_file_path) == (False, True, None)
    pinned = tls(endpoint="b.example.com:443", ca_cert_file_path=str(ca))
    assert (pinned.insecure, pinned.insecure_skip_verify, pinned.ca_cert_file_path) == (False, False, str(ca))


def test_notebook_remotes_of_one_endpoint_with_different_credentials_are_not_guessed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two FlyteRemotes of one cluster logged in as different clients: which identity watches is the user's call."""
    reader = flyte_remote("admin.example.com:443", auth_mode="ClientSecret", client_id="reader")
    writer = flyte_remote("admin.example.com:443", auth_mode="ClientSecret", client_id="writer")
    shell = FakeShell({"reader": reader, "writer": writer})
    monkeypatch.setattr(ipython, "ipython_shell", lambda: shell)
    found, how = flytekit_remotes.find_flyte_remote(flytekit_execution())
    assert found is None
    assert "connect to admin.example.com:443 with different settings" in how
