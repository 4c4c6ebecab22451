"""The Celery application. Settings come from Django settings under the ``CELERY_`` prefix."""

import os
from typing import Any

from celery import Celery, signals
from django.conf import settings

from core.liveness import WorkerLiveness
from core.observability.logs import logging_configure
from core.observability.request_id import (
    task_headers_add_request_id,
    task_request_id_bind,
    task_request_id_unbind,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("casedesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The worker's liveness file for its container health check (core/liveness.py).
app.steps["consumer"].add(WorkerLiveness)

# The request id of whoever queues a task travels with it and is set again around its run.
signals.before_task_publish.connect(task_headers_add_request_id, weak=False)
signals.task_prerun.connect(task_request_id_bind, weak=False)
signals.task_postrun.connect(task_request_id_unbind, weak=False)


@signals.setup_logging.connect
def _configure_logging(**kwargs: Any) -> None:
    """The worker and beat log through Django's LOGGING (JSON in production): a receiver here
    means Celery installs no handlers or format of its own."""
    logging_configure(settings.LOGGING)


def _ensure_filesystem_broker_folders() -> None:
    """kombu's filesystem transport and the file result backend need their folders to exist."""
    backend = settings.CELERY_RESULT_BACKEND
    if backend.startswith("file://"):
        os.makedirs(backend.removeprefix("file://"), exist_ok=True)
    if not settings.CELERY_BROKER_URL.startswith("filesystem"):
        return
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        os.makedirs(str(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key]), exist_ok=True)


@app.on_after_configure.connect
def _on_after_configure(sender: Celery, **kwargs: object) -> None:
    _ensure_filesystem_broker_folders()
