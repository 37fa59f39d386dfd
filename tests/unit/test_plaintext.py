"""printable(): server text made safe for text/plain and terminals."""

from __future__ import annotations

import pytest

from flyteexec_widget.admin.plaintext import printable, redact_tokens

from ..hostile_text import TERMINAL_PAYLOADS, UNSAFE


@pytest.mark.parametrize(("label", "payload"), TERMINAL_PAYLOADS.items())
def test_every_payload_comes_out_inert_and_visible(label: str, payload: str) -> None:
    out = printable(payload)
    assert not UNSAFE.search(out), label
    assert "\n" not in out
    assert "\t" not in out
    assert "\\" in out  # the user sees that something was there


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("\x1b[2J", "\\x1b[2J"),
        ("\x1b]8;;https://e/\x1b\\x\x1b]8;;\x1b\\", "\\x1b]8;;https://e/\\x1b\\x\\x1b]8;;\\x1b\\"),
        ("\u202etxt.exe", "\\u202etxt.exe"),
        ("a\nb\rc\td", "a\\nb\\rc\\td"),
        ("\x9b2J\x7f", "\\x9b2J\\x7f"),
        ("\u2028", "\\u2028"),
    ],
)
def test_exact_escapes(text: str, want: str) -> None:
    assert printable(text) == want


def test_ordinary_text_is_kept() -> None:
    text = "flytesnacks:development:abc ├─ t_n0 (task) [Succeeded] 1m 05s → child été 日本 🚀 👩‍💻 \\x1b"
    assert printable(text) == text


def test_multiline_keeps_the_lines_and_escapes_the_rest() -> None:
    """An exception's message may span lines (the server's stack trace); nothing else in it drives the terminal."""
    assert printable("a\x1b[2J\nb\rc\u202e\n", multiline=True) == "a\\x1b[2J\nb\\rc\\u202e\n"
    for label, payload in TERMINAL_PAYLOADS.items():
        out = printable(payload, multiline=True)
        assert not UNSAFE.search(out), label
        assert out.count("\n") == payload.count("\n")


def test_a_token_without_a_digit_is_redacted_too() -> None:
    # secrets.token_urlsafe(32) holds no digit about once in 1,400 draws: the whole run is still a token
    token = "qWeRtYuIoPaSdFgHjKlZxCvBnM_-qwertyuiopASDF"
    assert redact_tokens(f"login failed: {token} rejected") == "login failed: [redacted] rejected"
    assert redact_tokens("see docs/getting-started/configuration for details") == (
        "see docs/getting-started/configuration for details"
    )
