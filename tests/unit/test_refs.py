"""Execution references and console URLs."""

from __future__ import annotations

from typing import Any

import pytest
from flyteidl.core import identifier_pb2

from flyteexec_widget.admin.errors import InvalidReferenceError
from flyteexec_widget.admin.refs import (
    ExecutionRef,
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
