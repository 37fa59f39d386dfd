"""Row timestamps: ISO-8601 UTC with milliseconds (truncated), ``Z``; a time out of range raises, never a wrong text.

The row builder formats two or three timestamps per node and caches the text of whole seconds; these pin that the
cached text is exactly what ``datetime.isoformat(timespec="milliseconds")`` gives, for every second and fraction.
"""

from __future__ import annotations

import random

import pytest
from google.protobuf import timestamp_pb2

from flyteexec_widget.live import row_fields
from flyteexec_widget.objects.protoview import InvalidTimeError, to_datetime

MIN_S, MAX_S = -62135596800, 253402300799  # 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z


def _reference(seconds: int, nanos: int) -> str:
    return to_datetime(timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)).isoformat(timespec="milliseconds")


@pytest.mark.parametrize(
    ("seconds", "nanos", "text"),
    [
        (0, 0, "1970-01-01T00:00:00.000Z"),
        (1_765_000_000, 999_999_999, "2025-12-06T05:46:40.999Z"),  # truncated, not rounded up to the next second
        (1_765_000_000, 1_000_000, "2025-12-06T05:46:40.001Z"),
        (1_765_000_000, 999_999, "2025-12-06T05:46:40.000Z"),
        (MIN_S, 0, "0001-01-01T00:00:00.000Z"),
        (MAX_S, 999_999_999, "9999-12-31T23:59:59.999Z"),
        (-1, 500_000_000, "1969-12-31T23:59:59.500Z"),
    ],
)
def test_iso_text(seconds: int, nanos: int, text: str) -> None:
    ts = timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)
    assert row_fields._iso(ts) == text
    assert row_fields._iso(ts) == text  # the second time from the cache of whole seconds


def test_iso_matches_isoformat_everywhere() -> None:
    rng = random.Random(15)
    for _ in range(20_000):
        seconds = rng.choice([rng.randint(MIN_S, MAX_S), rng.randint(1_765_000_000, 1_765_000_050)])
        nanos = rng.choice([0, 999_999_999, rng.randint(0, 999_999_999)])
        ts = timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)
        assert row_fields._iso(ts) == _reference(seconds, nanos).replace("+00:00", "Z"), (seconds, nanos)


@pytest.mark.parametrize(("seconds", "nanos"), [(MAX_S + 1, 0), (MIN_S - 1, 0), (5, -1), (5, 1_000_000_000)])
def test_iso_out_of_range_raises_even_for_a_cached_second(seconds: int, nanos: int) -> None:
    row_fields._iso(timestamp_pb2.Timestamp(seconds=5, nanos=0))  # second 5 is cached now
    with pytest.raises(InvalidTimeError, match="not a valid time"):
        row_fields._iso(timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos))
