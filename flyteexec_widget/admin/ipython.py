"""Which IPython we run in: none, a terminal IPython, or a Jupyter kernel. The one probe of the package.

Used by the login prompt (``auth.show_device_prompt``: a clickable link only where HTML is shown) and by the
display layer (``display.kernel``: can a widget be shown). It never imports IPython: inside a kernel it is loaded
already, and a plain Python process must not pay for it.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["in_kernel", "ipython_shell", "running_kernel"]


def ipython_shell() -> Any:
    """The running IPython shell (``get_ipython()``), or None; never imports IPython (a kernel has it loaded)."""
    ipython_mod = sys.modules.get("IPython")
    if ipython_mod is None:
        return None
    try:
        return ipython_mod.get_ipython()
    except Exception:  # IPython present but unusable (e.g. torn down at exit): as if absent
        return None


def running_kernel() -> Any:
    """The ipykernel kernel behind the running shell, or None (plain Python, terminal IPython)."""
    return getattr(ipython_shell(), "kernel", None)


def in_kernel() -> bool:
    """Whether we run inside a Jupyter kernel (a widget can be shown), not a terminal IPython or plain Python."""
    return running_kernel() is not None
