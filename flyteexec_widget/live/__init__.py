"""Live sync: the incremental sync engine, the rows (schema and conversion), the model of one execution, the scheduler.

Imports ``objects`` and ``admin``; nothing here draws anything.
"""
