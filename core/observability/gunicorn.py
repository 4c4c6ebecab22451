"""gunicorn's error and access logs in Casedesk's format (``gunicorn.conf.py`` names
``GunicornLogger`` as its ``logger_class``). gunicorn's master process never loads Django, so the
format comes from the environment exactly as ``config/settings.py`` reads it."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from gunicorn.glogging import Logger as _GunicornLogger
from gunicorn.glogging import SafeAtoms

from core.observability.logs import JsonFormatter, log_format_choose


class _UnescapedAtoms(SafeAtoms):
    """gunicorn's atoms without the backslash it adds before quotes for its quoted text format:
    the JSON encoder escapes them itself."""

    def __init__(self, atoms: Mapping[str, Any]) -> None:
        dict.__init__(self, atoms)


class GunicornAccessJsonFormatter(JsonFormatter):
    """gunicorn's access record (its arguments are the request's "atoms") as named fields: method,
    path, query, status, duration_ms, bytes, remote_addr, user_agent, referer, and the request id
    the application answered in ``X-Request-ID``."""

    def format(self, record: logging.LogRecord) -> str:
        atoms = record.args
        if isinstance(atoms, Mapping):
            status = str(atoms.get("s", ""))
            fields = {
                "method": atoms.get("m"),
                "path": atoms.get("U"),
                "query": atoms.get("q") or None,
                "status": int(status) if status.isdigit() else status,
                "duration_ms": round(int(str(atoms.get("D", 0))) / 1000, 3),
                "bytes": atoms.get("B"),
                "remote_addr": atoms.get("h"),
                "user_agent": _dash_is_none(atoms.get("a")),
                "referer": _dash_is_none(atoms.get("f")),
                "request_id": _dash_is_none(atoms.get("{x-request-id}o")),
            }
            record.msg, record.args = f"{fields['method']} {fields['path']} {status}", None
            record.__dict__.update(fields)
        return super().format(record)


def _dash_is_none(value: Any) -> Any:
    return None if value in (None, "-") else value


class GunicornLogger(_GunicornLogger):
    """gunicorn's logger, with its error and access lines in Casedesk's format when that is JSON
    (``LOG_FORMAT``, or ``DEBUG`` unset). Every gunicorn flag (``--access-logfile``,
    ``--error-logfile``, ``--log-level``) still decides where the lines go and which are kept."""

    def setup(self, cfg: Any) -> None:
        debug = os.environ.get("DEBUG", "").lower() in {"1", "true", "yes", "on"}
        self.json = log_format_choose(os.environ.get("LOG_FORMAT"), debug=debug) == "json"
        if self.json:
            self.atoms_wrapper_class = _UnescapedAtoms
        super().setup(cfg)
        if not self.json:
            return
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())
        for handler in self.access_log.handlers:
            handler.setFormatter(GunicornAccessJsonFormatter())
