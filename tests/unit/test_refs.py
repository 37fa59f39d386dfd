"""Execution references and console URLs."""

from __future__ import annotations

from typing import Any

import pytest
from flyteidl.core import identifier_pb2

from flyteexec_widget.admin.errors import InvalidReferenceError
from flyteexec_widget.admin.refs import (
    ExecutionRef,
    check_same_cluster,
    console_base,
    execution_url,
    normalize_endpoint,
    parse_execution_ref,
)

REF = ExecutionRef("flytesnacks", "development", "abc123")


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("flytesnacks", "development", "abc123"), {}),
        (("flytesnacks:development:abc123",), {}),
        ((" flytesnacks:development:abc123 ",), {}),
        (("https://flyte.example.com/console/projects/flytesnacks/domains/development/executions/abc123",), {}),
        (("http://localhost:30080/console/projects/flytesnacks/domains/development/executions/abc123/",), {}),
        (
            (
                "https://flyte.example.com/console/projects/flytesnacks/domains/development/executions/abc123"
                "/nodeId/n0/taskId/t/attempt/0/view/logs",
            ),
            {},
        ),
        (
            (
                "https://flyte.example.com/console/projects/flytesnacks/domains/development/executions/abc123?duration=all",
            ),
            {},
        ),
        (("https://h/prefix/console/projects/flytesnacks/domains/development/executions/abc123#frag",), {}),
        (("/console/projects/flytesnacks/domains/development/executions/abc123",), {}),
        (("flyte.example.com/console/projects/flytesnacks/domains/development/executions/abc123",), {}),
        (("flyte.example.com:443/console/projects/flytesnacks/domains/development/executions/abc123",), {}),
        ((("flytesnacks", "development", "abc123"),), {}),
        ((identifier_pb2.WorkflowExecutionIdentifier(project="flytesnacks", domain="development", name="abc123"),), {}),
        ((REF,), {}),
        ((), {"name": "abc123", "default_project": "flytesnacks", "default_domain": "development"}),
        (("flytesnacks",), {"name": "abc123", "default_domain": "development"}),
        ((None, "development", "abc123"), {"default_project": "flytesnacks"}),
        # explicit parts win over defaults
        (("flytesnacks", "development", "abc123"), {"default_project": "other", "default_domain": "other"}),
    ],
)
def test_accepted_forms(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    assert parse_execution_ref(*args, **kwargs) == REF


@pytest.mark.parametrize(
    ("args", "kwargs", "needle"),
    [
        (("abc123",), {}, "cannot read"),
        (("p:d",), {}, "cannot read"),
        (("p:d:n:x",), {}, "cannot read"),
        (("p::n",), {}, "domain is missing"),
        (("p:d:",), {}, "name is missing"),
        (("p:d:a b",), {}, "whitespace"),
        (("https://flyte.example.com/console/projects/p/domains/d",), {}, "does not point to an execution"),
        (("https://flyte.example.com/console/projects/p/domains/d/workflows/w",), {}, "does not point"),
        ((), {}, "name is missing"),
        ((), {"name": "abc"}, "no default_project"),
        (("p",), {"name": "abc"}, "no default_domain"),
        ((42,), {}, "int"),
        ((("p", "d"),), {}, "tuple"),
        (("p", "d/x", "n"), {}, "may not contain"),
    ],
)
def test_malformed_input_says_what_is_accepted(args: tuple[Any, ...], kwargs: dict[str, Any], needle: str) -> None:
    with pytest.raises(InvalidReferenceError) as ei:
        parse_execution_ref(*args, **kwargs)
    msg = str(ei.value)
    assert needle in msg
    assert "'project:domain:name'" in msg  # always lists the accepted forms
    assert "console URL" in msg


def test_url_segments_are_unquoted() -> None:
    url = "https://h/console/projects/my%2Dproj/domains/development/executions/abc"
    assert parse_execution_ref(url).project == "my-proj"


def test_ref_str_and_subject() -> None:
    assert str(REF) == "flytesnacks:development:abc123"
    assert REF.subject == "flytesnacks:development:abc123"


@pytest.mark.parametrize(
    ("endpoint", "insecure", "console", "want"),
    [
        ("flyte.example.com:443", False, None, "https://flyte.example.com:443"),
        ("dns:///flyte.example.com", False, None, "https://flyte.example.com"),
        ("localhost:30080", True, None, "http://localhost:30080"),
        ("localhost:30080", True, "https://console.example.com", "https://console.example.com"),
        ("localhost:30080", False, "https://console.example.com/", "https://console.example.com"),
    ],
)
def test_console_base(endpoint: str, insecure: bool, console: str | None, want: str) -> None:
    assert console_base(endpoint, insecure, console) == want


def test_execution_url() -> None:
    assert execution_url("https://h", "p", "d", "n") == "https://h/console/projects/p/domains/d/executions/n"


def test_normalize_endpoint() -> None:
    assert normalize_endpoint(" dns:///h:1 ") == "h:1"
    with pytest.raises(InvalidReferenceError):
        normalize_endpoint("")


@pytest.mark.flytekit
@pytest.mark.parametrize(
    ("endpoint", "insecure", "console"),
    [
        ("flyte.example.com:443", False, None),
        ("flyte.example.com", False, None),
        ("localhost:30080", True, None),
        ("127.0.0.1:30080", True, None),
        ("flyte.example.com:443", False, "https://console.example.com"),
        ("localhost:30080", True, "http://localhost:8080"),
    ],
)
def test_same_url_as_flytekit(endpoint: str, insecure: bool, console: str | None) -> None:
    from flytekit.configuration import Config, PlatformConfig
    from flytekit.models.core.identifier import WorkflowExecutionIdentifier
    from flytekit.remote import FlyteRemote

    from flyteexec_widget.remote import Remote

    # FlyteRemote does not connect until a call needs its client
    fk = FlyteRemote(Config(platform=PlatformConfig(endpoint=endpoint, insecure=insecure, console_endpoint=console)))
    ours = Remote(endpoint, insecure=insecure, console_endpoint=console)
    want = fk.generate_console_url(WorkflowExecutionIdentifier("flytesnacks", "development", "abc123"))
    assert ours.generate_console_url("flytesnacks:development:abc123") == want
    assert execution_url(console_base(endpoint, insecure, console), "flytesnacks", "development", "abc123") == want
    from flytekit.models.core.identifier import Identifier, ResourceType

    # registered entities get their own pages, the same as flytekit's (flyteidl ids and flytekit models alike)
    for rt in (ResourceType.TASK, ResourceType.WORKFLOW, ResourceType.LAUNCH_PLAN):
        fk_id = Identifier(rt, "flytesnacks", "development", "wf.demo", "v1")
        want = fk.generate_console_url(fk_id)
        assert ours.generate_console_url(fk_id.to_flyte_idl()) == want
        assert ours.generate_console_url(fk_id) == want


def test_an_entity_identifier_is_not_taken_for_an_execution() -> None:
    lp = identifier_pb2.Identifier(
        resource_type=identifier_pb2.LAUNCH_PLAN, project="p", domain="d", name="wf.lp", version="v1"
    )
    with pytest.raises(InvalidReferenceError, match=r"p:d:wf.lp identifies a registered entity .* not an execution"):
        parse_execution_ref(lp)


# ---------------------------------------------------------------------------------------------------------------
# Bad references fail with our error, named, before anything is sent
# ---------------------------------------------------------------------------------------------------------------

URL_PATH = "/console/projects/p/domains/d/executions/n"


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        (f"http://[::1{URL_PATH}", "Invalid IPv6 URL"),
        (f"http://[::1{URL_PATH}?x=]", "Invalid IPv6 URL"),
        (f"https://[zz::1]{URL_PATH}", "does not appear to be an IPv4 or IPv6 address"),
        (f"https://h:abc{URL_PATH}", "Port could not be cast"),
        (f"https://h:99999{URL_PATH}", "Port out of range"),
        (f"h:abc{URL_PATH}", "Port could not be cast"),
        (f"ftp://h{URL_PATH}", "must start with http:// or https://"),
        (f"javascript://h{URL_PATH}", "must start with http:// or https://"),
    ],
)
def test_a_malformed_console_url_is_our_error_naming_it(url: str, needle: str) -> None:
    with pytest.raises(InvalidReferenceError) as ei:
        parse_execution_ref(url)
    assert needle in str(ei.value)
    assert repr(url) in str(ei.value)


def test_console_urls_keep_their_host_and_port_but_compare_by_id() -> None:
    ref = parse_execution_ref(f"https://Flyte.Example.com:8443{URL_PATH}")
    assert (ref.host, ref.port, ref.url) == ("flyte.example.com", 8443, f"https://Flyte.Example.com:8443{URL_PATH}")
    assert ref == ExecutionRef("p", "d", "n")
    assert parse_execution_ref(f"[::1]:30080{URL_PATH}").host == "::1"
    assert parse_execution_ref(URL_PATH).host is None
    assert parse_execution_ref("p:d:n").host is None


@pytest.mark.parametrize("what", ["project", "domain", "name"])
def test_parts_longer_than_flyteadmin_allows_are_refused_with_its_limit(what: str) -> None:
    parts = {"project": "p", "domain": "d", "name": "n"}
    parts[what] = "x" * 63
    assert getattr(parse_execution_ref(parts["project"], parts["domain"], parts["name"]), what) == "x" * 63
    parts[what] = "x" * 100_000
    for ref in (
        (parts["project"], parts["domain"], parts["name"]),
        (f"{parts['project']}:{parts['domain']}:{parts['name']}",),
        (f"https://h/console/projects/{parts['project']}/domains/{parts['domain']}/executions/{parts['name']}",),
    ):
        with pytest.raises(InvalidReferenceError) as ei:
            parse_execution_ref(*ref)
        message = str(ei.value)
        assert f"execution {what} 'xxxx" in message
        assert "is 100,000 characters long; FlyteAdmin allows at most 63" in message
        assert len(message) < 400  # the input is named, not repeated whole


def test_other_errors_quote_a_huge_input_shortly() -> None:
    for bad in ("x" * 100_000, "a b:" * 30_000, ("p", "d", "n n" * 50_000)):
        with pytest.raises(InvalidReferenceError) as ei:
            parse_execution_ref(bad)
        assert "characters)" in str(ei.value)
        assert len(str(ei.value)) < 1000


@pytest.mark.parametrize(
    ("url", "endpoint", "console"),
    [
        ("https://flyte.example.com/console", "flyte.example.com:443", None),
        ("https://flyte.example.com/console", "dns:///flyte.example.com", None),
        ("https://FLYTE.example.com./console", "flyte.example.com", None),
        ("https://flyte.example.com/console", "flyte.example.com:8089", None),  # console on 443, admin elsewhere
        ("https://flyte.example.com:443/console", "flyte.example.com:443", None),
        ("http://127.0.0.1:30080/console", "127.0.0.1:30080", None),  # a sandbox's own URL
        ("http://localhost:30080/console", "127.0.0.1:30080", None),
        ("http://[::1]:30080/console", "localhost:30080", None),
        ("https://console.example.com/console", "admin.example.com:443", "https://console.example.com"),
        ("https://console.example.com:8443/console", "admin.example.com:443", "https://console.example.com:8443/"),
        ("flyte.example.com/console", "flyte.example.com:443", None),
    ],
)
def test_a_console_url_of_this_cluster_passes(url: str, endpoint: str, console: str | None) -> None:
    check_same_cluster(parse_execution_ref(url + URL_PATH[len("/console") :]), endpoint, console)


@pytest.mark.parametrize(
    ("url", "endpoint", "console"),
    [
        ("https://other.example.com/console", "flyte.example.com:443", None),
        ("https://flyte.example.com.evil.io/console", "flyte.example.com:443", None),
        ("http://127.0.0.1:30081/console", "127.0.0.1:30080", None),  # another sandbox on the same machine
        ("https://flyte.example.com:8443/console", "flyte.example.com:443", None),
        ("https://admin.example.com:9999/console", "admin.example.com:443", "https://console.example.com"),
        ("https://console.example.com/console", "admin.example.com:443", None),
        ("other.example.com/console", "flyte.example.com:443", None),
    ],
)
def test_a_console_url_of_another_cluster_is_refused(url: str, endpoint: str, console: str | None) -> None:
    ref = parse_execution_ref(url + URL_PATH[len("/console") :])
    with pytest.raises(InvalidReferenceError) as ei:
        check_same_cluster(ref, endpoint, console)
    message = str(ei.value)
    assert f"console URL {ref.url!r} is on" in message
    assert f"not on this Remote's cluster (admin {endpoint}" in message
    assert "use a Remote connected to" in message


def test_references_without_a_host_pass_the_cluster_check() -> None:
    for ref in ("p:d:n", URL_PATH, ("p", "d", "n")):
        check_same_cluster(parse_execution_ref(ref), "flyte.example.com:443")


@pytest.mark.parametrize("url", ["http:foo", "https:/a.example.com/x", "http://:80/x", "http://user@/x", "http://?q"])
def test_safe_url_wants_a_host_not_just_a_scheme(url: str) -> None:
    """The one link check (rows, the HTML snapshot, the widget, the device-login prompt): ``http:foo`` has the
    scheme but no host, and became a link in the login prompt, which checked the scheme only."""
    from flyteexec_widget.admin.refs import safe_url
    from flyteexec_widget.live import rows

    assert safe_url(url) is None
    assert rows.safe_url is safe_url  # one check, not two
    assert safe_url("http://[::1]:8080/x") == "http://[::1]:8080/x"
