"""Display: the widget and its comm protocol, value encoding, notebook entry points, text/HTML renderings, ``wait()``.

``widget`` (``ExecutionWidget``: traits, comm protocol, request handlers), ``values`` (Python values -> the typed
tree of the outputs viewer), ``notebook`` (``watch()`` and the display hooks of the execution wrappers), ``kernel``
(is this a Jupyter kernel; the message pump ``wait()`` uses), ``render`` (text tree, HTML snapshot), ``waiting``
(``wait()``), ``static/`` (the view: plain ES module + CSS).
The top layer: imports ``remote``, ``live``, ``objects`` and ``admin``.
"""
