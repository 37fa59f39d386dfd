"""Benchmarks: this package side by side with flytekit's ``FlyteRemote``, from RPCs to pixels.

Run ``python -m benchmarks`` (``--quick`` for the small smoke run, ``--json PATH`` for machine-readable output).
Modules: :mod:`.run` (command line, plan), :mod:`.cases` (the measurements), :mod:`.server` (the sandbox in a
child process), :mod:`.scenario` (the benchmarks' own ``bench-rolling`` scenario), :mod:`.clients` (both clients
behind the same calls), :mod:`.browser` (Chromium rendering), :mod:`.report` (the Markdown tables),
:mod:`.stats` (median/min/max and paired ratios).
"""
