import io
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from core.observability.logs import JsonFormatter, RequestIdFilter


@contextmanager
def json_log_capture() -> Iterator[Callable[[], list[dict]]]:
    """Every log record from now on, through the production formatter and filter; call the value
    to get the lines written so far, each parsed as one JSON object. (Starting a Celery worker
    configures logging afresh: enter this after it.)"""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


@pytest.fixture
def json_log_lines() -> Iterator[Callable[[], list[dict]]]:
    with json_log_capture() as lines:
        yield lines
