"""Issue 16's fault tests: real servers stopped, killed and restarted under load. Each test bounds
its time and loops and prints what it counted."""

from __future__ import annotations

import signal
import time

import pytest

from tests.faults.conftest import Load, Stack
from tests.faults.servers import wait_until

pytestmark = pytest.mark.faults


def _print_requests(title: str, load: Load) -> None:
    print(f"\n{title}")
    for phase, counts in load.by_phase().items():
        print(f"  {phase}: " + ", ".join(f"{key} x{n}" for key, n in sorted(counts.items())))


def _message_ids_of_cases(stack: Stack, case_ids: list[int]) -> set[str]:
    return {
        row[0]
        for row in stack.sql(
            "select message_id from notifications_notification where case_id = any(%s) and channel = 'email'",
            case_ids,
        )
    }


def _print_deliveries(written: set[str], counts) -> None:
    duplicated = {mid: n for mid, n in counts.items() if n > 1}
    print(
        f"  notifications written {len(written)}, delivered {len(counts)}, "
        f"accepted by SMTP {sum(counts.values())}, duplicated {len(duplicated)}"
    )


def test_redis_stopped_under_mixed_load_reads_succeed_and_every_notification_arrives_once(stack, load_of):
    with load_of(readers=2, writers=2) as load:
        time.sleep(2)
        load.phase = "redis down"
        stack.broker.stop()
        stack.cache.stop()
        stack.inject("redis (broker and cache) stopped under load")
        time.sleep(5)
        stack.broker.start()
        stack.cache.start()
        load.phase = "redis back"
        time.sleep(3)
    _print_requests("redis stopped: requests by phase", load)

    down = [r for r in load.results if r[0] == "redis down"]
    assert [r for r in down if r[1] == "read"] and [r for r in down if r[1] == "write"]
    assert all(r[2] == 200 for r in load.results if r[1] == "read"), load.by_phase()
    assert all(r[2] == 201 or (r[2] == 503 and r[3] == "service_unavailable") for r in load.results if r[1] == "write")
    written = _message_ids_of_cases(stack, load.created)
    assert len(written) == len(load.created)  # one acknowledgement e-mail per case opened
    counts = stack.wait_all_sent(written, timeout=90)
    _print_deliveries(written, counts)
    assert set(counts) == written and set(counts.values()) == {1}  # exactly once each
    wait_until(
        lambda: stack.sql("select count(*) from cases_case where id = any(%s) and routing_pending", load.created)[0][0]
        == 0,
        timeout=60,
        what="every case routed",
    )
