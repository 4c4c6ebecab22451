"""Log lines: one JSON object per line in production (``LOG_FORMAT=json``), a readable line on a
developer's terminal (``plain``). Every line says which request (or the request behind a task) it
belongs to. The same configuration serves Django (``settings.LOGGING``), the Celery worker and
beat (``config/celery.py``), and gunicorn's own error and access logs (``core.observability.gunicorn``)."""

from __future__ import annotations

import logging
import logging.config
from typing import Any

from celery._state import get_current_task  # what Celery's own task log formatter uses
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from core.observability.request_id import request_id_get

LOG_FORMATS = ("json", "plain")


def log_format_choose(value: str | None, *, debug: bool) -> str:
    """``LOG_FORMAT`` as given, else JSON in production and plain text under ``DEBUG``."""
    if not value:
        return "plain" if debug else "json"
    if value.lower() not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, got {value!r}.")
    return value.lower()


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (None outside a request), and inside a Celery task its
    ``task_id`` and ``task_name``. On the handler, so records of every logger pass through it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_get()
        task = get_current_task()
        if task is not None and task.request.id is not None and not hasattr(record, "task_id"):
            record.task_id = task.request.id
            record.task_name = task.name
        return True


class JsonFormatter(_JsonFormatter):
    """``{"timestamp" (UTC, ISO 8601), "level", "logger", "message", "request_id", …extras,
    "exc_info"}`` on one line."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp=True,
            **kwargs,
        )

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {"timestamp": log_data.pop("timestamp"), **log_data}


class PlainFormatter(logging.Formatter):
    """``time LEVEL logger [request id] message`` for people reading a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        return self._style._fmt % {
            **record.__dict__,
            "request_id": getattr(record, "request_id", None) or "-",
        }


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """The ``dictConfig`` of every Casedesk process: one stream handler on the root logger."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"json": {"()": JsonFormatter}, "plain": {"()": PlainFormatter}},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["request_id"]}
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "INFO"},
            # runserver's request lines (``make run``) in the same format as everything else
            "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }


def logging_configure(config: dict[str, Any]) -> None:
    """Django's ``LOGGING_CONFIG`` (and the Celery processes' ``setup_logging``): the dictConfig,
    and Python's warnings as log records, so they too come out in the format of every other line."""
    logging.config.dictConfig(config)
    logging.captureWarnings(True)
