"""The Celery application. Settings come from Django settings under the ``CELERY_`` prefix."""

import os

from celery import Celery

from core.liveness import WorkerLiveness

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("casedesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The worker's liveness file for its container health check (core/liveness.py).
app.steps["consumer"].add(WorkerLiveness)


def _ensure_filesystem_broker_folders() -> None:
    """kombu's filesystem transport and the file result backend need their folders to exist."""
    from django.conf import settings

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
