"""The admin: the analyst workspace (cases, queues, SLA), manager screens and read-only histories.

Importing the modules registers their ModelAdmins. The admin index shows the queues with their
counts and the analyst's availability switch (``templates/admin/cases/workspace_index.html``).
"""

from django.contrib import admin

from cases.admin import analysts, catalog, escalations, inbox, records, surveys, workspace

admin.site.index_template = "admin/cases/workspace_index.html"

__all__ = ["analysts", "catalog", "escalations", "inbox", "records", "surveys", "workspace"]
