"""RSS 2.0 and Atom feeds of maintenance windows and incident updates (Django's syndication framework)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed

from status.selectors import FeedEntry, status_feed_entries


class StatusRssFeed(Feed):
    feed_type: type[SyndicationFeed] = Rss201rev2Feed
    title = "Casedesk system status"
    description = "Scheduled maintenance and incident updates for Casedesk products."
    author_name = "Casedesk Support"
    language = "en"

    def link(self) -> str:
        return reverse("status")

    def items(self) -> list[FeedEntry]:
        return status_feed_entries()

    def item_title(self, item: FeedEntry) -> str:
        return item.title

    def item_description(self, item: FeedEntry) -> str:
        return item.description

    def item_link(self, item: FeedEntry) -> str:
        return f"{reverse('status')}#{item.anchor}"

    def item_guid(self, item: FeedEntry) -> str:
        return item.guid

    def item_guid_is_permalink(self, item: FeedEntry) -> bool:
        return False

    def item_pubdate(self, item: FeedEntry) -> datetime:
        return item.published

    def item_updateddate(self, item: FeedEntry) -> datetime:
        return item.published

    def item_categories(self, item: FeedEntry) -> list[str]:
        return [item.product.name]


class StatusAtomFeed(StatusRssFeed):
    feed_type = Atom1Feed
    subtitle = StatusRssFeed.description
