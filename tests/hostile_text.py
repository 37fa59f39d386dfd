"""Hostile server strings shared by the tests of every output: terminal payloads for plain text (the text tree, the
``wait()`` line, the login prompt), and HTML/JS payloads and URIs for the widget, the HTML snapshot and the saved
notebook (tests/browser/test_hostile_strings.py)."""

from __future__ import annotations

import re

#: Each one attacks plain text differently; a test puts every one in every server string it can. None holds a '.'
#: (a task's name is shown from its last '.', which would cut the payloads before it).
TERMINAL_PAYLOADS = {
    "clear screen": "\x1b[2J\x1b[H",
    "colour": "\x1b[31mred\x1b[0m",
    "OSC-8 link": "\x1b]8;;https://evil-example/\x1b\\click me\x1b]8;;\x1b\\",
    "OSC title": "\x1b]0;owned\x07",
    "C1 CSI": "\x9b2J",
    "C1 OSC": "\x9d0;owned\x9c",
    "carriage return": "ok\rFAILED",
    "newline": "x\n└─ fake_node (task) [Succeeded]",
    "backspace": "abc\x08\x08\x08xyz",
    "bell": "ding\x07",
    "NUL": "a\x00b",
    "RLO": "\u202etxt_exe",
    "bidi isolate": "\u2066evil\u2069",
    "LRM/RLM": "a\u200eb\u200fc",
    "line separator": "one\u2028two\u2029three",
}

#: What no plain-text output may contain (tab and newline aside, which the output's own layout uses).
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def hostile(label: str) -> str:
    """One string holding every terminal payload, tagged so a test can find where it went."""
    return f"{label}:" + "|".join(TERMINAL_PAYLOADS.values())


def _pwn(label: str) -> str:
    """JavaScript that records which payload ran (no '.', so a payload survives being cut at dots, as task names
    are: ``module.function`` shows as ``function``)."""
    return f"window['__pwned']='{label}'"


#: HTML/JS injection payloads: each sets ``window.__pwned`` to its label if it ever runs.
HTML_PAYLOADS = {
    "script": f"<script>{_pwn('script')}</script>",
    "img onerror": f'<img src=x onerror="{_pwn("img")}">',
    "svg onload": f'<svg onload="{_pwn("svg")}"></svg>',
    "attribute breakout (double quote)": f'"><img src=x onerror="{_pwn("attr-dq")}">',
    "attribute breakout (single quote)": "'><img src=x onerror='window[`__pwned`]=`attr-sq`'>",
    "iframe srcdoc": "<iframe srcdoc=\"<script>parent['__pwned']='srcdoc'</script>\"></iframe>",
    "javascript link": f'<a href="javascript:{_pwn("a")}">click</a>',
    "details ontoggle": f'<details open ontoggle="{_pwn("details")}">',
    "autofocus onfocus": f'<input autofocus onfocus="{_pwn("focus")}">',
    "body onload": f'<body onload="{_pwn("body")}">',
    "mutation XSS": f'<math><mtext><table><mglyph><style><img src=x onerror="{_pwn("mxss")}">',
    "tag breakout": f"</textarea></title></style></pre><script>{_pwn('breakout')}</script>",
    "object": f'<object data="javascript:{_pwn("object")}"></object>',
    "embed": f'<embed src="javascript:{_pwn("embed")}">',
    "media onerror": f'<video><source onerror="{_pwn("video")}"></video>',
    "template literal": "${" + _pwn("template") + "}",
    "angular expression": "{{constructor['constructor'](\"" + _pwn("angular") + '")()}}',
    "css url": f'<style>*{{background:url("javascript:{_pwn("css")}")}}</style>',
    "meta refresh": f'<meta http-equiv=refresh content="0;url=javascript:{_pwn("meta")}">',
}

#: URIs that must never become a link (log links, deck links): only http(s) with a host may.
HOSTILE_URIS = {
    "javascript": "javascript:" + _pwn("uri"),
    "javascript, mixed case": "JaVaScRiPt:" + _pwn("uri-case"),
    "javascript, leading space": " javascript:" + _pwn("uri-space"),
    "javascript, leading tab": "\tjavascript:" + _pwn("uri-tab"),
    "javascript, newline inside": "java\nscript:" + _pwn("uri-newline"),
    "javascript, comment trick": "javascript://%0A" + _pwn("uri-comment"),
    "data: HTML": "data:text/html,<script>" + _pwn("data") + "</script>",
    "vbscript": "vbscript:msgbox(1)",
    "scheme-relative": "//evil.example/steal",
    "relative path": "/relative/path",
    "file": "file:///etc/passwd",
    "http without host": "http://",
    "https without slashes": "https:evil.example",
    "blob": "blob:https://evil.example/5c3a",
    "ftp": "ftp://evil.example/x",
}
