"""Rows of the sandbox's scenarios as a watch publishes them (its first paint, from the listings alone, and the
complete tree), mid-run and finished: what ``test_rows_golden.py`` compares with the rows recorded in
``data/rows_golden.json.gz``. The row build is tuned for speed; these recordings say that the rows stayed the same.

Regenerate (only when a row field deliberately changes): ``python -m tests.integration.rows_golden``.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import grpc
from flyteidl.admin import signal_pb2
from flyteidl.core import literals_pb2, types_pb2
from flyteidl.service import signal_pb2_grpc

from flyteexec_widget.live.model import ExecutionModel
from flyteexec_widget.live.sync import TreeSync
from flyteexec_widget.remote import Remote
from flyteexec_widget.sandbox import Sandbox
from flyteexec_widget.sandbox.knobs import INTERNAL_METADATA

GOLDEN = Path(__file__).parent / "data" / "rows_golden.json.gz"

#: (scenario, params, sandbox seconds at which to take a mid-run snapshot)
CASES: list[tuple[str, dict[str, int], tuple[float, ...]]] = [
    ("demo", {}, (3.0, 40.0)),
    ("all-kinds", {}, (2.0, 6.0)),
    ("failure", {}, (2.0,)),
    ("aborted", {}, (5.0,)),
    ("deep", {"depth": 3}, (1.0,)),
    ("wide", {"size": 30}, (0.5,)),
    ("dynamic-retry", {}, (5.0,)),
    ("long-names", {}, (2.0,)),
    ("array-node-v1", {}, (2.0,)),
    ("late-parent", {}, (2.0,)),
    ("signals", {}, (2.0,)),  # its typed signals (a struct, an enum) are not answered here: no "end"
]
NO_END = {"signals"}


def _answer_signals(sandbox: Sandbox, wf_id: Any) -> int:
    """Approve every approve gate and give every typed signal a value (internal calls)."""
    channel = grpc.insecure_channel(sandbox.endpoint)
    stub = signal_pb2_grpc.SignalServiceStub(channel)
    answered = 0
    try:
        request = signal_pb2.SignalListRequest(workflow_execution_id=wf_id, limit=1000)
        for sig in stub.ListSignals(request, metadata=INTERNAL_METADATA, timeout=30).signals:
            if sig.HasField("value"):
                continue
            prim = literals_pb2.Primitive()
            if sig.type.simple == types_pb2.BOOLEAN:
                prim.boolean = True
            elif sig.type.simple == types_pb2.FLOAT:
                prim.float_value = 0.5
            elif sig.type.simple == types_pb2.INTEGER:
                prim.integer = 1
            else:
                prim.string_value = "ok"
            value = literals_pb2.Literal(scalar=literals_pb2.Scalar(primitive=prim))
            stub.SetSignal(signal_pb2.SignalSetRequest(id=sig.id, value=value), metadata=INTERNAL_METADATA, timeout=30)
            answered += 1
    finally:
        channel.close()
    return answered


def _watch_rows(sandbox: Sandbox, wf_id: Any) -> dict[str, Any]:
    """A watch's first publication and its complete rows and header, with a fresh client (JSON, the sandbox's port
    replaced so recordings compare across runs)."""
    with Remote.for_sandbox(sandbox.endpoint, rpc_timeout=10.0) as remote:
        ex = remote.fetch_execution(wf_id.project, wf_id.domain, wf_id.name)
        model = ExecutionModel(ex)
        first: list[Any] = []

        def publish() -> None:
            model.update_from(ex)
            if not first:
                first.append(list(model.rows.values()))  # a list: the tree order is part of what is compared

        tree = TreeSync(remote, ex)
        with tree.lock:
            tree.refresh(publish=publish)
            model.update_from(ex)
        out = {
            "paint": first[0] if first else None,
            "complete": list(model.rows.values()),
            "header": dict(model.header),
            "counts": dict(model.counts),
        }
    text = json.dumps(out)
    for endpoint in {sandbox.endpoint, sandbox.console_endpoint}:
        text = text.replace(endpoint, "<sandbox>")
    result: dict[str, Any] = json.loads(text)
    return result


def record(sandbox: Sandbox) -> dict[str, Any]:
    """Every case's snapshots: ``{"<scenario> @ <seconds>": {...}, "<scenario> @ end": {...}}``."""
    out: dict[str, Any] = {}
    for scenario, params, times in CASES:
        wf_id = sandbox.launch(scenario, name=f"golden-{scenario}", **params)
        elapsed = 0.0
        for t in times:
            sandbox.advance(t - elapsed)
            elapsed = t
            out[f"{scenario} @ {t:g}"] = _watch_rows(sandbox, wf_id)
        if scenario in NO_END:
            continue
        for _ in range(20):
            try:
                sandbox.run_until_done(wf_id)
                break
            except RuntimeError:
                if not _answer_signals(sandbox, wf_id):
                    raise
        out[f"{scenario} @ end"] = _watch_rows(sandbox, wf_id)
    return out


def main() -> None:
    with Sandbox(clock="stepped") as sandbox:
        data = record(sandbox)
    # gzip: the recordings are ~0.5 MB of JSON; mtime 0 so a regeneration with the same rows is the same file
    with GOLDEN.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write((json.dumps(data, sort_keys=True, indent=1) + "\n").encode())
    print(f"wrote {GOLDEN} ({len(data)} snapshots)")


def load() -> dict[str, Any]:
    """The recorded snapshots."""
    with gzip.open(GOLDEN, "rt") as f:
        data: dict[str, Any] = json.load(f)
    return data


if __name__ == "__main__":
    main()
