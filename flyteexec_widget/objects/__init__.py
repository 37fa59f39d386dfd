"""Execution objects: flytekit's ``flytekit.remote.executions`` API over flyteidl protobufs.

Wrappers, attribute access over protobufs, literal conversion and the phase table. Imports only ``admin``.
"""
