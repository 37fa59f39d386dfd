"""Live sync: the incremental sync engine, the plain-JSON model of one execution and the scheduler thread.

Imports ``objects`` and ``admin``; nothing here draws anything.
"""
