"""Case search: one search over a case's number, subject, description fields, public comments and
e-mail replies, and for staff its internal notes.

On PostgreSQL the database keeps a search entry per case and per comment (``CaseSearchEntry``,
written by the triggers in ``triggers.py`` and the SQL functions of migration
``cases.0005_case_search``): a ``tsvector`` in the company's language (English, French or Spanish
with ``unaccent``) and, for the case, a short label (number, subject, company and people's names)
for trigram matching. Queries are in ``selectors.py``; on SQLite they fall back to a substring match
over the same fields with the same API.
"""
