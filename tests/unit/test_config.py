"""PlatformConfig: flytectl YAML / legacy INI, search order, FLYTE_* overrides, Remote.from_config."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from flyteexec_widget.admin import auth
from flyteexec_widget.admin.config import ENV_VARS, PlatformConfig, find_config_file, load_config
from flyteexec_widget.admin.errors import ConfigError
from flyteexec_widget.remote import Remote

from ._fake_admin import serve, wf_id

FULL_YAML = """
admin:
  endpoint: dns:///flyte.example.com:443
  insecure: true
  insecureSkipVerify: true
  caCertFilePath: /etc/ca.pem
  authType: ClientSecret
  clientId: my-client
  clientSecretLocation: {secret_file}
  scopes: [all, offline]
  audience: aud
  tokenUrl: https://idp.example.com/token
  authorizationHeader: flyte-authorization
  command: [get-token, --quiet]
console:
  endpoint: https://console.example.com
"""


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No FLYTE_* variables, HOME and cwd in a temp dir: only what a test sets is seen."""
    for name in [*ENV_VARS, "FLYTECTL_CONFIG"]:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def test_reads_every_yaml_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = write(tmp_path / "secret", "the-secret\n")
    cfg_file = write(tmp_path / "config.yaml", FULL_YAML.format(secret_file=secret))
    monkeypatch.setenv("FLYTECTL_CONFIG", str(cfg_file))
    cfg = load_config()
    assert cfg == PlatformConfig(
        endpoint="flyte.example.com:443",
        insecure=True,
        insecure_skip_verify=True,
        ca_cert_file_path="/etc/ca.pem",
        console_endpoint="https://console.example.com",
        auth_type="ClientSecret",
        client_id="my-client",
        client_secret_location=str(secret),
        scopes=("all", "offline"),
        audience="aud",
        command=("get-token", "--quiet"),
        token_url="https://idp.example.com/token",
        authorization_header="flyte-authorization",
        source=str(cfg_file),
    )
    assert cfg.resolved_client_secret() == "the-secret"  # newline stripped


def test_env_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg_file = write(tmp_path / "c.yaml", "admin:\n  endpoint: dns:///file:443\n  insecure: true\n  authType: Pkce\n")
    monkeypatch.setenv("FLYTECTL_CONFIG", str(cfg_file))
    monkeypatch.setenv("FLYTE_PLATFORM_URL", "env-host:8089")
    monkeypatch.setenv("FLYTE_PLATFORM_INSECURE", "False")
    monkeypatch.setenv("FLYTE_PLATFORM_CONSOLE_ENDPOINT", "https://console.env")
    monkeypatch.setenv("FLYTE_PLATFORM_CA_CERT_FILE_PATH", "/env/ca.pem")
    monkeypatch.setenv("FLYTE_CREDENTIALS_CLIENT_ID", "env-client")
    monkeypatch.setenv("FLYTE_CREDENTIALS_CLIENT_SECRET", "env-secret")
    monkeypatch.setenv("FLYTE_CREDENTIALS_AUTH_MODE", "basic")
    monkeypatch.setenv("FLYTE_CREDENTIALS_SCOPES", "a,b")
    cfg = load_config()
    assert (cfg.endpoint, cfg.insecure, cfg.console_endpoint, cfg.ca_cert_file_path) == (
        "env-host:8089",
        False,
        "https://console.env",
        "/env/ca.pem",
    )
    assert (cfg.client_id, cfg.auth_type, cfg.scopes) == ("env-client", "ClientSecret", ("a", "b"))
    assert cfg.resolved_client_secret() == "env-secret"
    assert "env-secret" not in repr(cfg)


def test_empty_env_vars_count_as_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg_file = write(tmp_path / "c.yaml", "admin:\n  endpoint: file-host:443\n  insecure: true\n")
    monkeypatch.setenv("FLYTECTL_CONFIG", str(cfg_file))
    monkeypatch.setenv("FLYTE_PLATFORM_URL", "")
    monkeypatch.setenv("FLYTE_PLATFORM_INSECURE", "")
    monkeypatch.setenv("FLYTE_CREDENTIALS_AUTH_MODE", " ")
    cfg = load_config()
    assert (cfg.endpoint, cfg.insecure, cfg.auth_type) == ("file-host:443", True, None)


def test_env_alone_is_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLYTE_PLATFORM_URL", "dns:///h:1")
    cfg = load_config()
    assert (cfg.endpoint, cfg.source, cfg.auth_type) == ("h:1", None, None)


def test_search_order(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home_yaml = write(clean_env / "home/.flyte/config.yaml", "admin:\n  endpoint: from-home-yaml:1\n")
    assert find_config_file() == home_yaml
    assert load_config().endpoint == "from-home-yaml:1"
    home_ini = write(clean_env / "home/.flyte/config", "[platform]\nurl = from-home-ini:1\ninsecure = true\n")
    assert find_config_file() == home_ini
    assert (load_config().endpoint, load_config().insecure) == ("from-home-ini:1", True)
    here = write(clean_env / "work/flytekit.config", "[platform]\nurl = from-cwd:1\n")
    assert find_config_file().resolve() == here.resolve()  # type: ignore[union-attr]
    env_file = write(clean_env / "elsewhere.yaml", "admin:\n  endpoint: from-env:1\n")
    monkeypatch.setenv("FLYTECTL_CONFIG", str(env_file))
    assert load_config().endpoint == "from-env:1"
    # a FLYTECTL_CONFIG that does not exist is skipped, as flytekit does
    monkeypatch.setenv("FLYTECTL_CONFIG", str(clean_env / "missing.yaml"))
    assert load_config().endpoint == "from-cwd:1"


def test_yaml_in_a_file_without_a_yaml_name_is_read_as_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg_file = write(tmp_path / "sandbox-config", "admin:\n  endpoint: dns:///yaml-host:30080\n  insecure: true\n")
    monkeypatch.setenv("FLYTECTL_CONFIG", str(cfg_file))
    assert (load_config().endpoint, load_config().insecure) == ("yaml-host:30080", True)
    bad_ini = write(tmp_path / "bad.config", "[platform]\nurl = a\n[platform]\nurl = b\n")  # duplicate section
    with pytest.raises(ConfigError, match="cannot read flytekit config"):
        load_config(bad_ini)


def test_explicit_path_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("ClientSecret", "ClientSecret"),
        ("clientsecret", "ClientSecret"),
        ("basic", "ClientSecret"),
        ("client_credentials", "ClientSecret"),
        ("DeviceFlow", "DeviceFlow"),
        ("ExternalCommand", "ExternalCommand"),
        ("external_process", "ExternalCommand"),
        ("Pkce", "Pkce"),
        ("standard", "Pkce"),
    ],
)
def test_auth_type_names(tmp_path: Path, value: str, want: str) -> None:
    f = write(tmp_path / "c.yaml", f"admin:\n  endpoint: h:1\n  authType: {value}\n")
    assert load_config(f).auth_type == want


def test_unknown_auth_type_lists_valid_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = write(tmp_path / "c.yaml", "admin:\n  endpoint: h:1\n  authType: Kerberos\n")
    with pytest.raises(ConfigError) as ei:
        load_config(f)
    for name in ("'Kerberos'", "admin.authType", "ClientSecret", "Pkce", "ExternalCommand", "DeviceFlow"):
        assert name in str(ei.value)
    monkeypatch.setenv("FLYTE_CREDENTIALS_AUTH_MODE", "oops")
    with pytest.raises(ConfigError, match="FLYTE_CREDENTIALS_AUTH_MODE"):
        load_config(f)


def test_client_secret_env_var_and_secret_selects_client_secret_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = write(tmp_path / "c.yaml", "admin:\n  endpoint: h:1\n  clientId: c\n  clientSecretEnvVar: MY_SECRET\n")
    assert load_config(f).auth_type is None  # the variable is not set: no secret, no mode
    monkeypatch.setenv("MY_SECRET", "from-var")
    cfg = load_config(f)
    assert cfg.auth_type == "ClientSecret"
    assert cfg.resolved_client_secret() == "from-var"


def test_bad_yaml_is_a_config_error(tmp_path: Path) -> None:
    f = write(tmp_path / "c.yaml", "admin: [unclosed\n")
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(f)
    g = write(tmp_path / "d.yaml", "- a list\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(g)


def test_from_config_builds_remote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = write(tmp_path / "secret", "s")
    f = write(tmp_path / "c.yaml", FULL_YAML.format(secret_file=secret))
    r = Remote.from_config(str(f), default_project="p", insecure=False)
    assert (r.endpoint, r.insecure, r.insecure_skip_verify, r.default_project) == (
        "flyte.example.com:443",
        False,  # the override wins
        True,
        "p",
    )
    assert isinstance(r.auth, auth.ClientSecret)
    assert (r.auth.client_id, r.auth.token_url, r.auth.scopes) == (
        "my-client",
        "https://idp.example.com/token",
        ("all", "offline"),
    )
    assert r.auth.header_key == "flyte-authorization"
    assert r.generate_console_url("p:d:n") == "https://console.example.com/console/projects/p/domains/d/executions/n"
    static = auth.StaticToken("t")
    assert Remote.from_config(str(f), auth=static).auth is static


def test_from_config_external_command_and_device_flow(tmp_path: Path) -> None:
    f = write(tmp_path / "c.yaml", "admin:\n  endpoint: h:1\n  authType: ExternalCommand\n  command: [a, b]\n")
    r = Remote.from_config(str(f))
    assert isinstance(r.auth, auth.ExternalCommand)
    assert r.auth.command == ("a", "b")
    g = write(tmp_path / "d.yaml", "admin:\n  endpoint: h:1\n  authType: DeviceFlow\n  clientId: cli\n")
    assert isinstance(Remote.from_config(str(g)).auth, auth.DeviceFlow)


def test_from_config_without_endpoint(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="FLYTE_PLATFORM_URL"):
        Remote.from_config()
    assert Remote.from_config(endpoint="h:2").endpoint == "h:2"


def test_client_secret_mode_without_secret_is_a_config_error(tmp_path: Path) -> None:
    f = write(tmp_path / "c.yaml", "admin:\n  endpoint: h:1\n  authType: ClientSecret\n  clientId: c\n")
    with pytest.raises(ConfigError, match="clientSecretLocation"):
        Remote.from_config(str(f))


def test_pkce_works_until_the_server_wants_a_token(tmp_path: Path) -> None:
    # flytectl's sandbox config says authType: Pkce; that must not break a server without auth.
    with serve() as fake:
        fake.admin.add_execution(wf_id())
        f = write(
            tmp_path / "c.yaml", f"admin:\n  endpoint: dns:///{fake.endpoint}\n  insecure: true\n  authType: Pkce\n"
        )
        with Remote.from_config(str(f)) as r:
            assert r.get_execution(wf_id()).id.name == "exec1"
            fake.state.required_auth = ("authorization", "Bearer x")
            with pytest.raises(ConfigError) as ei:
                r.get_execution(wf_id())
    assert "DeviceFlow" in str(ei.value)
    assert "ClientSecret" in str(ei.value)


def test_access_token_from_the_environment_is_sent_as_a_static_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # flytectl's configs often say authType: Pkce; a token from the environment wins over the file's mode
    with serve() as fake:
        fake.admin.add_execution(wf_id())
        fake.state.required_auth = ("authorization", "Bearer env-token-123")
        f = write(
            tmp_path / "c.yaml", f"admin:\n  endpoint: dns:///{fake.endpoint}\n  insecure: true\n  authType: Pkce\n"
        )
        monkeypatch.setenv("FLYTE_CREDENTIALS_ACCESS_TOKEN", "env-token-123")
        cfg = load_config(f)
        assert (cfg.auth_type, cfg.access_token) == (None, "env-token-123")
        assert "env-token-123" not in repr(cfg)
        with Remote.from_config(str(f)) as r:
            assert isinstance(r.auth, auth.StaticToken)
            assert r.get_execution(wf_id()).id.name == "exec1"
            assert "env-token-123" not in repr(r) + repr(r.auth)
    # an explicit mode in the environment takes precedence over the token
    monkeypatch.setenv("FLYTE_CREDENTIALS_AUTH_MODE", "ExternalCommand")
    monkeypatch.setenv("FLYTE_CREDENTIALS_COMMAND", "get-token")
    assert isinstance(Remote.from_config(str(f)).auth, auth.ExternalCommand)


def test_env_var_names_match_flytekit() -> None:
    # the ones flyteadmin-semantics.md lists, spelled as flytekit spells them
    for name in (
        "FLYTE_PLATFORM_URL",
        "FLYTE_PLATFORM_INSECURE",
        "FLYTE_PLATFORM_CONSOLE_ENDPOINT",
        "FLYTE_PLATFORM_CA_CERT_FILE_PATH",
        "FLYTE_CREDENTIALS_CLIENT_ID",
        "FLYTE_CREDENTIALS_CLIENT_SECRET",
        "FLYTE_CREDENTIALS_AUTH_MODE",
        "FLYTE_CREDENTIALS_SCOPES",
        "FLYTE_CREDENTIALS_ACCESS_TOKEN",  # ours, same scheme
    ):
        assert name in ENV_VARS


@pytest.mark.flytekit
def test_same_values_as_flytekit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flytekit.configuration import PlatformConfig as FlytekitPlatformConfig

    secret = write(tmp_path / "secret", "the-secret\n")
    f = write(tmp_path / "config.yaml", FULL_YAML.format(secret_file=secret))
    monkeypatch.setenv("FLYTECTL_CONFIG", str(f))
    monkeypatch.setenv("FLYTE_PLATFORM_CONSOLE_ENDPOINT", "https://console.env")
    monkeypatch.setenv("FLYTE_CREDENTIALS_SCOPES", "x,y")
    fk = FlytekitPlatformConfig.auto(str(f))  # by path: flytekit caches its search (lru_cache)
    ours = load_config()
    assert (ours.endpoint, ours.insecure, ours.insecure_skip_verify, ours.ca_cert_file_path) == (
        fk.endpoint,
        fk.insecure,
        fk.insecure_skip_verify,
        fk.ca_cert_file_path,
    )
    assert (ours.console_endpoint, ours.client_id, list(ours.scopes), ours.audience, list(ours.command)) == (
        fk.console_endpoint,
        fk.client_id,
        fk.scopes,
        fk.audience,
        fk.command,
    )
    assert (ours.auth_type, ours.resolved_client_secret()) == (fk.auth_mode, fk.client_credentials_secret)


# ---------------------------------------------------------------------------------------------------------------
# Nothing fails open: a value that is not what its setting takes is an error naming it, never a guess
# ---------------------------------------------------------------------------------------------------------------

TRUE_SPELLINGS = ["true", "True", "TRUE", "t", "T", "1", "yes", "Yes", "y", "Y", "on", "ON"]
FALSE_SPELLINGS = ["false", "False", "FALSE", "f", "F", "0", "no", "No", "n", "N", "off", "OFF"]
BAD_BOOLEANS = ["flase", "nope", "2", "-1", "truee", "enable", "[1]", "{a: 1}", "1.0", "'yes please'"]


@pytest.mark.parametrize(("key", "field"), [("insecure", "insecure"), ("insecureSkipVerify", "insecure_skip_verify")])
@pytest.mark.parametrize(
    ("spelling", "want"), [(s, True) for s in TRUE_SPELLINGS] + [(s, False) for s in FALSE_SPELLINGS]
)
def test_yaml_booleans_take_flytectl_and_yaml_spellings(
    tmp_path: Path, key: str, field: str, spelling: str, want: bool
) -> None:
    f = write(tmp_path / "c.yaml", f"admin:\n  endpoint: h:1\n  {key}: {spelling}\n")
    assert getattr(load_config(f), field) is want


@pytest.mark.parametrize("key", ["insecure", "insecureSkipVerify"])
@pytest.mark.parametrize("bad", BAD_BOOLEANS)
def test_a_yaml_boolean_that_is_neither_is_refused(tmp_path: Path, key: str, bad: str) -> None:
    f = write(tmp_path / "c.yaml", f"admin:\n  endpoint: h:1\n  {key}: {bad}\n")
    with pytest.raises(ConfigError) as ei:
        load_config(f)
    message = str(ei.value)
    assert f"admin.{key} in {str(f)!r}" in message
    assert "true/false, yes/no, on/off, y/n, t/f, 1/0" in message
    value = yaml.safe_load(bad)  # what was written, as YAML read it: 'flase', 2, [1], {'a': 1}, 1.0, 'yes please'
    assert f"{value!r} is not a boolean" in message


@pytest.mark.parametrize(
    ("spelling", "want"), [(s, True) for s in TRUE_SPELLINGS] + [(s, False) for s in FALSE_SPELLINGS]
)
def test_env_booleans_take_the_same_spellings(monkeypatch: pytest.MonkeyPatch, spelling: str, want: bool) -> None:
    monkeypatch.setenv("FLYTE_PLATFORM_URL", "h:1")
    monkeypatch.setenv("FLYTE_PLATFORM_INSECURE", spelling)
    monkeypatch.setenv("FLYTE_PLATFORM_INSECURE_SKIP_VERIFY", spelling)
    cfg = load_config()
    assert (cfg.insecure, cfg.insecure_skip_verify) == (want, want)


@pytest.mark.parametrize("name", ["FLYTE_PLATFORM_INSECURE", "FLYTE_PLATFORM_INSECURE_SKIP_VERIFY"])
@pytest.mark.parametrize("bad", ["flase", "nope", "[1]", "2", "si"])
def test_an_env_boolean_that_is_neither_is_refused(monkeypatch: pytest.MonkeyPatch, name: str, bad: str) -> None:
    monkeypatch.setenv("FLYTE_PLATFORM_URL", "h:1")
    monkeypatch.setenv(name, bad)
    with pytest.raises(ConfigError) as ei:
        load_config()
    assert f"bad value for {name}: {bad!r} is not a boolean; accepted: true/false" in str(ei.value)


@pytest.mark.parametrize("bad", ["flase", "n0"])
def test_an_ini_boolean_that_is_neither_is_refused(tmp_path: Path, bad: str) -> None:
    f = write(tmp_path / "flytekit.config", f"[platform]\nurl = h:1\ninsecure = {bad}\n")
    with pytest.raises(ConfigError, match=rf"\[platform\] insecure in .*flytekit.config.*{bad!r} is not a boolean"):
        load_config(f)
    g = write(tmp_path / "empty.config", "[platform]\nurl = h:1\ninsecure =\n")
    assert load_config(g).insecure is False  # an empty value is unset, as in flytekit


@pytest.mark.parametrize("key", ["client_id", "client_secret", "url"])
def test_a_lone_percent_in_an_ini_value_is_a_config_error_naming_the_file(tmp_path: Path, key: str) -> None:
    """configparser's InterpolationSyntaxError escaped as is; its message quotes the value, which may be a secret."""
    section = "platform" if key == "url" else "credentials"
    text = (
        "[platform]\nurl = s3cr%t-value\n"
        if key == "url"
        else f"[platform]\nurl = h:1\n[{section}]\n{key} = s3cr%t-value\n"
    )
    f = write(tmp_path / "flytekit.config", text)
    with pytest.raises(ConfigError) as ei:
        load_config(f)
    message = str(ei.value)
    assert f"[{section}] {key} in {str(f)!r}" in message
    assert "write a '%' as '%%'" in message
    assert "s3cr" not in message
    assert "t-value" not in message


def test_a_doubled_percent_in_an_ini_value_is_one_percent_as_in_flytekit(tmp_path: Path) -> None:
    f = write(tmp_path / "flytekit.config", "[platform]\nurl = h:1\n[credentials]\nclient_id = a%%b\n")
    assert load_config(f).client_id == "a%b"


@pytest.mark.flytekit
@pytest.mark.parametrize("spelling", ["true", "True", "1", "yes", "on", "false", "False", "0", "no", "off"])
def test_booleans_read_as_flytekit_reads_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spelling: str) -> None:
    from flytekit.configuration import PlatformConfig as FlytekitPlatformConfig

    f = write(tmp_path / "config.yaml", f"admin:\n  endpoint: h:1\n  insecure: {spelling}\n")
    assert load_config(f).insecure is bool(FlytekitPlatformConfig.auto(str(f)).insecure)
    monkeypatch.setenv("FLYTE_PLATFORM_INSECURE", spelling)
    assert load_config(f).insecure is bool(FlytekitPlatformConfig.auto(str(f)).insecure)


@pytest.mark.parametrize(
    ("yaml_text", "where", "got"),
    [
        ("admin:\n  endpoint: [a, b]\n", "admin.endpoint", "a list"),
        ("admin:\n  endpoint: {host: a}\n", "admin.endpoint", "a mapping"),
        ("admin:\n  endpoint: 8089\n", "admin.endpoint", "int 8089"),
        ("admin:\n  endpoint: true\n", "admin.endpoint", "bool True"),
        ("admin:\n  endpoint: h:1\nconsole:\n  endpoint: [x]\n", "console.endpoint", "a list"),
        ("admin:\n  endpoint: h:1\n  caCertFilePath: {a: 1}\n", "admin.caCertFilePath", "a mapping"),
        ("admin:\n  endpoint: h:1\n  authType: [DeviceFlow]\n", "admin.authType", "a list"),
        ("admin:\n  endpoint: h:1\n  clientId: [a]\n", "admin.clientId", "a list"),
        ("admin:\n  endpoint: h:1\n  scopes: [{a: 1}]\n", "admin.scopes", "a mapping"),
        ("admin:\n  endpoint: h:1\n  command: {a: 1}\n", "admin.command", "a mapping"),
        ('admin:\n  endpoint: h:1\n  command: "tok \'unclosed"\n', "admin.command", "cannot split"),
    ],
)
def test_a_yaml_value_of_the_wrong_kind_is_refused(tmp_path: Path, yaml_text: str, where: str, got: str) -> None:
    f = write(tmp_path / "c.yaml", yaml_text)
    with pytest.raises(ConfigError) as ei:
        load_config(f)
    assert f"bad value for {where} in {str(f)!r}" in str(ei.value)
    assert got in str(ei.value)


def test_a_numeric_client_id_is_its_digits(tmp_path: Path) -> None:
    f = write(tmp_path / "c.yaml", "admin:\n  endpoint: h:1\n  clientId: 123456\n")
    assert load_config(f).client_id == "123456"


@pytest.mark.parametrize("section", ["admin: [endpoint, h]\n", "admin: just-a-string\n", "console: 3\n"])
def test_a_section_that_is_not_a_mapping_is_refused(tmp_path: Path, section: str) -> None:
    f = write(tmp_path / "c.yaml", section)
    with pytest.raises(ConfigError, match="must be a mapping of settings"):
        load_config(f)


@pytest.mark.parametrize("name", ["c.yaml", "flytekit.config", "config"])
def test_a_config_file_that_is_not_utf8_is_refused(tmp_path: Path, name: str) -> None:
    f = tmp_path / name
    f.write_bytes(b"admin:\n  endpoint: h\xe9:1\n")
    with pytest.raises(ConfigError) as ei:
        load_config(f)
    assert f"{str(f)!r} is not UTF-8 text (byte 0xe9 at offset 20)" in str(ei.value)


def test_a_client_secret_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_bytes(b"\xff\xfe")
    f = write(tmp_path / "c.yaml", f"admin:\n  endpoint: h:1\n  clientSecretLocation: {secret}\n")
    with pytest.raises(ConfigError, match=r"admin.clientSecretLocation .*secret' is not UTF-8 text"):
        load_config(f)


def test_a_directory_is_not_a_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "configs"
    folder.mkdir()
    with pytest.raises(ConfigError, match=r"config file .*configs' is not a file \(a directory\?\)"):
        load_config(folder)
    monkeypatch.setenv("FLYTECTL_CONFIG", str(folder))
    with pytest.raises(ConfigError, match=r"FLYTECTL_CONFIG .*configs' is not a file"):
        load_config()


def test_a_directory_in_the_search_order_is_skipped(clean_env: Path) -> None:
    (clean_env / "work" / "flytekit.config").mkdir()
    home_yaml = write(clean_env / "home/.flyte/config.yaml", "admin:\n  endpoint: from-home:1\n")
    assert find_config_file() == home_yaml


def test_the_command_s_arguments_stay_out_of_the_config_repr(tmp_path: Path) -> None:
    f = write(
        tmp_path / "c.yaml",
        "admin:\n  endpoint: h:1\n  authType: ExternalCommand\n  command: [tok, --secret, s3cr3t]\n",
    )
    cfg = load_config(f)
    assert cfg.command == ("tok", "--secret", "s3cr3t")
    assert "s3cr3t" not in repr(cfg)
