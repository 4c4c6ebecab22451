"""Logs, request ids, metrics and error tracking: how an operator watches Casedesk run.

Nothing here knows the domain: the apps register their own metric collectors (``metrics``), and
every module can be imported before Django is set up (gunicorn's master and ``config/settings.py``
import ``logs`` and ``sentry``).
"""
