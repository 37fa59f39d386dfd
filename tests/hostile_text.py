"""Server strings that try to drive a terminal: escape sequences, forged lines, bidi overrides (shared by the tests
of every plain-text output: the text tree, the ``wait()`` line, the login prompt)."""

from __future__ import annotations

import re

#: Each one attacks plain text differently; a test puts every one in every server string it can.
TERMINAL_PAYLOADS = {
    "clear screen": "\x1b[2J\x1b[H",
    "colour": "\x1b[31mred\x1b[0m",
    "OSC-8 link": "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\",
    "OSC title": "\x1b]0;owned\x07",
    "C1 CSI": "\x9b2J",
    "C1 OSC": "\x9d0;owned\x9c",
    "carriage return": "ok\rFAILED",
    "newline": "x\n└─ fake_node (task) [Succeeded]",
    "backspace": "abc\x08\x08\x08xyz",
    "bell": "ding\x07",
    "NUL": "a\x00b",
    "RLO": "\u202etxt.exe",
    "bidi isolate": "\u2066evil\u2069",
    "LRM/RLM": "a\u200eb\u200fc",
    "line separator": "one\u2028two\u2029three",
}

#: What no plain-text output may contain (tab and newline aside, which the output's own layout uses).
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def hostile(label: str) -> str:
    """One string holding every payload, tagged so a test can find where it went."""
    return f"{label}:" + "|".join(TERMINAL_PAYLOADS.values())
