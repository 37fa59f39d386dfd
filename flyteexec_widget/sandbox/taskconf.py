"""What the sandbox's registered tasks declare beyond their interface: image, resources, environment, interruptible,
cache serialization. Data only; :mod:`.scenarios` (``_Builder._task``) puts it into each ``TaskTemplate``.

The values are what a flytekit user would write (``@task(requests=Resources(cpu="4", mem="8Gi"), limits=...,
environment={...}, interruptible=True, cache=True, cache_serialize=True, container_image=...)``); flytekit turns
them into ``Container.resources`` (``requests``/``limits`` entries named CPU, MEMORY, GPU, EPHEMERAL_STORAGE),
``Container.env`` and ``TaskMetadata``. Tasks not listed get :data:`DEFAULT`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["DEFAULT", "DEFAULT_IMAGE", "TASKS", "TaskConf", "task_conf"]

DEFAULT_IMAGE = "cr.flyte.org/flyteorg/flytekit:py3.11-1.16.0"


@dataclass(frozen=True)
class TaskConf:
    """One task's container and metadata settings (resource quantities as Kubernetes writes them)."""

    image: str = DEFAULT_IMAGE
    requests: Mapping[str, str] = field(default_factory=lambda: {"cpu": "500m", "memory": "1Gi"})
    limits: Mapping[str, str] = field(default_factory=lambda: {"cpu": "1", "memory": "2Gi"})
    env: Mapping[str, str] = field(default_factory=dict)
    interruptible: bool | None = None  # None: not set on the task (the workflow's default applies)
    cache_serializable: bool = False


DEFAULT = TaskConf(env={"PYTHONUNBUFFERED": "1"})

_PIPELINE_IMAGE = "ghcr.io/example/churn-pipeline:3f9c2e1"

#: By the task's short name (``sandbox.<name>``).
TASKS: Mapping[str, TaskConf] = {
    "load_data": TaskConf(
        image=_PIPELINE_IMAGE,
        requests={"cpu": "1", "memory": "2Gi", "ephemeral_storage": "10Gi"},
        limits={"cpu": "2", "memory": "4Gi", "ephemeral_storage": "20Gi"},
        env={"BQ_PROJECT": "analytics", "PYTHONUNBUFFERED": "1"},
        cache_serializable=True,
    ),
    "preprocess_shard": TaskConf(
        image=_PIPELINE_IMAGE,
        requests={"cpu": "500m", "memory": "1Gi"},
        limits={"cpu": "1", "memory": "2Gi"},
        interruptible=True,
    ),
    "train": TaskConf(
        image="ghcr.io/example/churn-train:3f9c2e1-cuda12",
        requests={"cpu": "4", "memory": "4Gi", "gpu": "1"},
        limits={"cpu": "8", "memory": "4Gi", "gpu": "1"},
        env={"TORCH_HOME": "/tmp/torch", "WANDB_MODE": "offline"},
        interruptible=False,
    ),
    "evaluate": TaskConf(image=_PIPELINE_IMAGE, env={"PYTHONUNBUFFERED": "1"}),
    "deploy": TaskConf(
        image=_PIPELINE_IMAGE,
        requests={"cpu": "250m", "memory": "256Mi"},
        limits={"cpu": "500m", "memory": "512Mi"},
        env={"SERVING_ENDPOINT": "https://models.example.com/churn"},
    ),
    "flaky": TaskConf(
        requests={"cpu": "1", "memory": "1Gi"},
        limits={"cpu": "2", "memory": "2Gi"},
        env={"FEATURE_STORE_URL": "redis://features:6379/0", "RETRY_NOTE": "<b>3 attempts</b> & no markup"},
        interruptible=True,
    ),
    "cached": TaskConf(
        requests={"cpu": "500m", "memory": "512Mi"},
        limits={"cpu": "500m", "memory": "512Mi"},
        env={"PYTHONUNBUFFERED": "1"},
        cache_serializable=True,
    ),
    "score": TaskConf(
        requests={"cpu": "250m", "memory": "512Mi"},
        limits={"cpu": "500m", "memory": "1Gi"},
        interruptible=True,
    ),
    "slow_query": TaskConf(
        requests={"cpu": "1", "memory": "2Gi", "ephemeral_storage": "5Gi"},
        limits={"cpu": "1", "memory": "2Gi", "ephemeral_storage": "5Gi"},
        env={"WAREHOUSE_DSN": "postgresql://reporting@warehouse:5432/analytics"},
    ),
}


def task_conf(short_name: str) -> TaskConf:
    """The settings of task ``short_name`` (:data:`DEFAULT` for one not listed)."""
    return TASKS.get(short_name, DEFAULT)
