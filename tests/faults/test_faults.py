"""Issue 16's fault tests: real servers stopped, killed and restarted under load. Each test bounds
its time and loops and prints what it counted."""

from __future__ import annotations

import signal
import time

import pytest

from tests.faults.conftest import Load, Stack
from tests.faults.servers import wait_until

pytestmark = pytest.mark.faults


def _print_requests(stack: Stack, title: str, load: Load) -> None:
    stack.report(title)
    for phase, counts in load.by_phase().items():
        stack.report(f"  {phase}: " + ", ".join(f"{key} x{n}" for key, n in sorted(counts.items())))


def _message_ids_of_cases(stack: Stack, case_ids: list[int], kind: str = "") -> set[str]:
    """The e-mails written about these cases (of one ``kind``, when given): the customers'
    acknowledgements, and the analyst's notices of the cases routing gave them."""
    query = "select message_id from notifications_notification where case_id = any(%s) and channel = 'email'"
    params: list[object] = [case_ids]
    if kind:
        query, params = f"{query} and kind = %s", [*params, kind]
    return {row[0] for row in stack.sql(query, *params)}


def _print_deliveries(stack: Stack, written: set[str], counts) -> None:
    duplicated = {mid: n for mid, n in counts.items() if n > 1}
    stack.report(
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
    _print_requests(stack, "redis stopped: requests by phase", load)

    down = [r for r in load.results if r[0] == "redis down"]
    assert [r for r in down if r[1] == "read"] and [r for r in down if r[1] == "write"]
    assert all(r[2] == 200 for r in load.results if r[1] == "read"), load.by_phase()
    assert all(
        r[2] == 201 or (r[2] == 503 and r[3] == "service_unavailable")
        for r in load.results
        if r[1] == "write"
    )
    written = _message_ids_of_cases(stack, load.created)
    # One acknowledgement e-mail per case opened (the analyst's assignment notices come on top).
    assert len(_message_ids_of_cases(stack, load.created, "case_created")) == len(load.created)
    counts = stack.wait_all_sent(written, timeout=90)
    _print_deliveries(stack, written, counts)
    assert set(counts) == written and set(counts.values()) == {1}  # exactly once each
    wait_until(
        lambda: (
            stack.sql("select count(*) from cases_case where id = any(%s) and routing_pending", load.created)[
                0
            ][0]
            == 0
        ),
        timeout=60,
        what="every case routed",
    )


def test_broker_stopped_creates_answer_201_and_routing_and_notifications_complete_after(stack, load_of):
    with load_of(readers=1, writers=2) as load:
        time.sleep(1)
        load.phase = "broker down"
        stack.broker.stop()
        stack.inject("broker (Redis) stopped, cache up")
        time.sleep(5)
        waiting = stack.sql(
            "select count(*) from cases_case where id = any(%s) and routing_pending", load.created
        )
        stack.broker.start()
        load.phase = "broker back"
        time.sleep(2)
    _print_requests(stack, "broker stopped: requests by phase", load)
    stack.report(f"  cases waiting for routing when the broker returned: {waiting[0][0]}")

    assert [r for r in load.results if r[0] == "broker down" and r[1] == "write"]
    assert all(r[2] == 201 for r in load.results if r[1] == "write"), load.by_phase()
    assert all(r[2] == 200 for r in load.results if r[1] == "read"), load.by_phase()
    wait_until(
        lambda: (
            stack.sql("select count(*) from cases_case where id = any(%s) and routing_pending", load.created)[
                0
            ][0]
            == 0
        ),
        timeout=60,
        what="every case routed",
    )
    unrouted = stack.sql(
        "select count(*) from cases_case where id = any(%s) and queue_id is null", load.created
    )
    assert unrouted[0][0] == 0
    written = _message_ids_of_cases(stack, load.created)
    counts = stack.wait_all_sent(written, timeout=90)
    _print_deliveries(stack, written, counts)
    assert set(counts) == written and set(counts.values()) == {1}


def test_postgresql_stopped_and_restarted_under_load_answers_503_then_recovers_without_restarts(
    stack, load_of
):
    customer = stack.seed["customer"]
    last_case_before = stack.sql("select coalesce(max(id), 0) from cases_case")[0][0]
    with load_of(readers=2, writers=2) as load:
        time.sleep(1)
        load.phase = "postgres down"
        stack.pg.stop("immediate")
        stack.inject("postgresql stopped (immediate) under load")
        time.sleep(1)
        health_down = stack.get("/healthz")
        feed_down = stack.get("/status/feed/rss/")  # a plain Django view, outside DRF: handler500's path
        time.sleep(3)
        stack.pg.start()
        restarted = stack.sql("select now()")[0][0]
        load.phase = "postgres back"
        wait_until(lambda: stack.get("/api/v1/cases/?page_size=1", customer).status == 200, timeout=60)
        load.phase = "recovered"
        time.sleep(3)
    health_up = stack.get("/healthz")
    feed_up = stack.get("/status/feed/rss/")
    _print_requests(stack, "postgresql stopped: requests by phase", load)
    stack.report(
        f"  /healthz while down: {health_down.status} {health_down.body}; after: {health_up.status} {health_up.body}"
    )

    assert all(r[2] in (200, 201, 503) for r in load.results), load.by_phase()
    unavailable = [r for r in load.results if r[2] == 503]
    assert {r[1] for r in unavailable if r[0] == "postgres down"} == {"read", "write"}
    assert all(r[3] == "service_unavailable" and r[4] for r in unavailable)  # JSON code and Retry-After
    assert all(r[2] in (200, 201) for r in load.results if r[0] == "recovered")
    assert (health_down.status, health_down.body) == (
        503,
        {"status": "unavailable", "database": "unavailable", "broker": "ok"},
    )
    assert (health_up.status, health_up.body["status"]) == (200, "ok")
    assert (feed_down.status, feed_up.status) == (503, 200) and feed_down.headers.get("Retry-After")

    # No half-written case: every case is whole (number, its creation event, its notice), and every
    # 201 names a case that exists.
    broken = stack.sql(
        "select c.id from cases_case c where c.id > %s and (c.number is null"
        " or (select count(*) from cases_caseevent e where e.case_id = c.id and e.type = 'created') <> 1"
        " or not exists (select 1 from notifications_notification n where n.case_id = c.id))",
        last_case_before,
    )
    assert broken == []
    assert stack.sql("select count(*) from cases_case where id = any(%s)", load.created)[0][0] == len(
        load.created
    )

    # Web, worker and beat recovered without a restart: beat runs the sweep again, the worker routes
    # and delivers what was written before, during and after.
    assert all(process.alive() for process in stack.processes.values())
    wait_until(
        lambda: stack.sql(
            "select last_started_at > %s from core_jobrun where name = 'notifications-deliver-due'", restarted
        )[0][0],
        timeout=60,
        what="beat schedules the sweep again",
    )
    written = _message_ids_of_cases(stack, load.created)
    counts = stack.wait_all_sent(written, timeout=90)
    _print_deliveries(stack, written, counts)
    # At least once, and at most two again (same Message-ID): marks go to the database without the
    # worker waiting between e-mails (notifications.delivery._SentMarks), so when it goes away the row
    # whose mark was on the wire and the row sent meanwhile may both miss their marks before their
    # lease runs out.
    assert set(counts) == written and sum(counts.values()) - len(counts) <= 2


def test_worker_killed_mid_batch_every_notification_arrives_and_only_the_row_in_flight_twice(stack):
    stack.sink.delay = 0.005
    stack.sink.held = None
    try:
        ids = stack.script("notifications_bulk(200, 'kill')")
        written = {
            row[0]
            for row in stack.sql("select message_id from notifications_notification where id = any(%s)", ids)
        }
        # The SMTP server keeps the 31st of these messages and holds back its "250": the worker is
        # killed while it waits, the worst moment (the message is delivered, the row not marked sent).
        stack.sink.hold_at = stack.sink.total() + 31
        held = wait_until(lambda: stack.sink.held, timeout=90, what="the SMTP sink holds a message")
        stack.process("w1").kill(signal.SIGKILL)
        stack.inject("celery worker SIGKILLed mid-batch")
        at_kill = dict(
            stack.sql(
                "select status, count(*) from notifications_notification where id = any(%s) group by status",
                ids,
            )
        )
        in_flight = {
            row[0]
            for row in stack.sql(
                "select message_id from notifications_notification where id = any(%s) and status = 'sending'",
                ids,
            )
        }
        accepted_at_kill = len(stack.sink.counts(written))
        stack.start("w1")
        counts = stack.wait_all_sent(written, timeout=120)
    finally:
        stack.sink.delay, stack.sink.hold_at = 0.0, None
    duplicated = {mid for mid, n in counts.items() if n > 1}
    stack.report(
        f"worker killed: rows at the kill {at_kill}, accepted by SMTP before the kill {accepted_at_kill},"
        f" held message {held}"
    )
    _print_deliveries(stack, written, counts)

    assert set(counts) == written  # every notification delivered
    # Sent twice: only the row in flight, under the same Message-ID (a receiver can drop the copy).
    assert held in in_flight and duplicated == {held} and counts[held] == 2


def test_two_workers_and_two_sweeps_at_once_close_each_case_once(stack):
    ids = stack.script("cases_due_for_auto_close(30)")
    stack.start("w2")
    try:
        stack.script("auto_close_twice()")
        stack.inject("two auto-close sweeps at once on two workers")
        wait_until(
            lambda: (
                stack.sql("select count(*) from cases_case where id = any(%s) and status = 'closed'", ids)[0][
                    0
                ]
                == len(ids)
            ),
            timeout=90,
            what="every case closed",
        )
        closings = dict(
            stack.sql(
                "select case_id, count(*) from cases_caseevent where case_id = any(%s) and type = 'auto_closed'"
                " group by case_id",
                ids,
            )
        )
        written = {
            row[0]
            for row in stack.sql(
                "select message_id from notifications_notification where case_id = any(%s) and kind = 'case_closed'"
                " and channel = 'email'",
                ids,
            )
        }
        counts = stack.wait_all_sent(written, timeout=90)
    finally:
        stack.process("w2").kill(signal.SIGTERM)
    runs = {
        name: stack.process(name).log.read_text(errors="replace").count("cases.tasks.cases_auto_close_task[")
        for name in ("w1", "w2")
    }
    stack.report(
        f"two sweeps: {len(ids)} cases, auto-close events per case {sorted(set(closings.values()))}, sweep runs per worker {runs}"
    )
    _print_deliveries(stack, written, counts)

    assert closings == {case_id: 1 for case_id in ids}
    assert set(counts) == written and set(counts.values()) == {1}
