"""The compiled workflow's planned nodes: graph order (upstream first, ties in template order, a cycle still
ordered), and the template info shared by nodes alike."""

from __future__ import annotations

from flyteidl.core import workflow_pb2

from flyteexec_widget.live.compiled import END_NODE_ID, START_NODE_ID, graph_order
from flyteexec_widget.objects.templates import TemplateInfo, shared_info


def template(edges: dict[str, list[str]]) -> workflow_pb2.WorkflowTemplate:
    t = workflow_pb2.WorkflowTemplate()
    for node_id, upstream in edges.items():
        t.nodes.add(id=node_id, upstream_node_ids=upstream)
    return t


def ids(nodes: list[workflow_pb2.Node]) -> list[str]:
    return [n.id for n in nodes]


def test_upstream_nodes_come_first_and_ties_keep_the_template_order() -> None:
    t = template({START_NODE_ID: [], "c": ["b"], "a": [START_NODE_ID], "b": ["a"], "d": ["a"], END_NODE_ID: ["c", "d"]})
    assert ids(graph_order(t)) == ["a", "b", "d", "c"]


def test_a_cycle_is_still_ordered_after_what_can_be_ordered() -> None:
    t = template({"x": [], "p": ["q"], "q": ["p"], "y": ["x"], "self": ["self"]})
    assert ids(graph_order(t)) == ["x", "self", "y", "p", "q"]


def test_unknown_upstream_ids_do_not_hold_a_node_back() -> None:
    assert ids(graph_order(template({"a": ["ghost"], "b": ["a"]}))) == ["a", "b"]


def test_nodes_alike_share_one_template_info_equal_to_a_new_one() -> None:
    a, b = shared_info("task", "t1"), shared_info("task", "t1")
    assert a is b
    assert a == TemplateInfo("task", "t1")
    assert shared_info("dynamic", "t1") != a


def test_a_name_longer_than_any_task_name_is_not_kept_for_sharing() -> None:
    long = "x" * 100_000
    assert shared_info("task", long) is not shared_info("task", long)
    assert shared_info("task", long) == TemplateInfo("task", long)
