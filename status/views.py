"""Non-API views: the iCalendar feeds of maintenance windows (the RSS/Atom feeds are in feeds.py)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from core.errors import NotFound
from status.ics import CalendarEvent, calendar_build
from status.selectors import maintenance_calendar_occurrences, product_get_active_by_code


def maintenance_calendar(request: HttpRequest, product_code: str | None = None) -> HttpResponse:
    """Maintenance runs (a week back, three months ahead) as RFC 5545 events in UTC."""
    now = timezone.now()
    try:
        product = product_get_active_by_code(code=product_code) if product_code is not None else None
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    events = [
        CalendarEvent(
            uid=run.uid,
            start=run.start,
            end=run.end,
            summary=f"{run.window.product.name}: {run.window.title}",
            description=f"{run.window.product.name} may be offline ({run.window.schedule_text}). "
            f"{run.window.description}".strip(),
        )
        for run in maintenance_calendar_occurrences(product=product, now=now)
    ]
    name = f"Casedesk maintenance — {product.name}" if product is not None else "Casedesk maintenance"
    body = calendar_build(name=name, events=events, stamp=now)
    filename = f"{product.code if product is not None else 'maintenance'}.ics"
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
