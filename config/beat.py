"""The default Celery beat schedule, declared here (reviewed, versioned) and synced into
django-celery-beat's database by ``manage.py beat_sync`` (run after every migrate), so operators
can still change or disable each entry in the admin: existing entries are never overwritten."""

# name → (task, every N seconds)
DEFAULT_SCHEDULE: dict[str, tuple[str, int]] = {
    "sla-sweep": ("sla.tasks.sla_timers_sweep_task", 60),
    "cases-auto-close": ("cases.tasks.cases_auto_close_task", 300),
    "cases-auto-close-reminders": ("cases.tasks.cases_auto_close_reminders_task", 900),
    "notifications-deliver-due": ("notifications.tasks.notifications_deliver_due_task", 60),
    "cases-route-pending": ("cases.tasks.cases_route_pending_task", 60),
    "cases-agent-notice-digests": ("cases.tasks.agent_notice_digests_task", 60),
    # Reports' weekly summaries: the stalest weeks counted again (reports.services)
    "reports-summaries-refresh": ("reports.tasks.report_summaries_refresh_task", 60),
    "authorization-requests-expire": ("accounts.tasks.authorization_requests_expire_task", 3600),
    # Retention (ages and batch sizes: the RETENTION_* settings)
    "notifications-purge-sent": ("notifications.tasks.notifications_sent_purge_task", 3600),
    "inbound-emails-purge": ("notifications.tasks.inbound_emails_purge_task", 3600),
    "idempotency-records-purge": ("core.tasks.idempotency_records_purge_task", 3600),
}
