"""Top-level, non-API status URLs: the feeds people subscribe to (mounted at ``status/``)."""

from django.urls import path

from status import views
from status.feeds import StatusAtomFeed, StatusRssFeed

urlpatterns = [
    path("feed/rss/", StatusRssFeed(), name="status-feed-rss"),
    path("feed/atom/", StatusAtomFeed(), name="status-feed-atom"),
    path("maintenance.ics", views.maintenance_calendar, name="status-calendar"),
    path("maintenance/<slug:product_code>.ics", views.maintenance_calendar, name="status-calendar-product"),
]
