"""Execution objects: flytekit's ``flytekit.remote.executions`` API over flyteidl protobufs.

Wrappers, attribute access over protobufs, literal conversion, the phase table and what a node's template says
(kind, name, gate). Imports only ``admin``.
"""
