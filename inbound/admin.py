from django.contrib import admin

from core.admin import ReadOnlyAdmin
from inbound.models import InboundAutoReply, InboundEmail


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "sender", "recipient", "source", "outcome", "reason", "case"]
    list_filter = ["outcome", "source"]
    list_select_related = ["case"]


@admin.register(InboundAutoReply)
class InboundAutoReplyAdmin(ReadOnlyAdmin):
    """Who got an automatic answer to mail that opened nothing, and when (one a day per address)."""

    list_display = ["address", "last_sent_at", "last_reason", "sent_count"]
    list_filter = ["last_reason"]
    search_fields = ["address"]
