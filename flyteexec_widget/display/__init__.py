"""Display: the widget and its comm protocol, value encoding, text/HTML renderings, ``wait()``.

The top layer: imports ``live``, ``objects`` and ``admin``; static/ holds the view (plain ES module + CSS).
"""
