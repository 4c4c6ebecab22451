"""The triggers that keep ``CaseSearchEntry`` current (django-pgtrigger; PostgreSQL only).

Each calls one of the set-based SQL functions created by migration ``cases.0005_case_search``:
``casedesk_case_search_refresh(case_ids)`` rewrites the entry of each case (its document and label)
and ``casedesk_comment_search_refresh(comment_ids)`` the entry of each comment. A comment writes one
entry of its own: the case's entry is not touched, so a case with hundreds of comments costs a new
comment no more than a case with none. Updates fire only when a column the entries read changes
(``WHEN`` conditions): a status change, an assignment or ``updated_at`` costs nothing.
"""

from __future__ import annotations

import pgtrigger

# The case columns its entry reads (the document, the label, the company and its language).
CASE_SEARCHED_FIELDS = (
    "number",
    "subject",
    "problem_summary",
    "error_message",
    "users_affected",
    "replication_steps",
    "expected_result",
    "worked_before",
    "troubleshooting_tried",
    "resolution",
    "company",
    "opened_by",
    "on_behalf_of",
)

CASE_TRIGGERS = [
    pgtrigger.Trigger(
        name="case_search_insert",
        when=pgtrigger.After,
        operation=pgtrigger.Insert,
        func="PERFORM casedesk_case_search_refresh(ARRAY[NEW.id]); RETURN NULL;",
    ),
    pgtrigger.Trigger(
        name="case_search_update",
        when=pgtrigger.After,
        operation=pgtrigger.Update,
        condition=pgtrigger.AnyChange(*CASE_SEARCHED_FIELDS),
        func="""
            PERFORM casedesk_case_search_refresh(ARRAY[NEW.id]);
            IF OLD.company_id IS DISTINCT FROM NEW.company_id THEN
                PERFORM casedesk_comment_search_refresh(
                    ARRAY(SELECT id FROM cases_comment WHERE case_id = NEW.id)
                );
            END IF;
            RETURN NULL;
        """,
    ),
]

COMMENT_TRIGGERS = [
    pgtrigger.Trigger(
        name="comment_search_insert",
        when=pgtrigger.After,
        operation=pgtrigger.Insert,
        func="PERFORM casedesk_comment_search_refresh(ARRAY[NEW.id]); RETURN NULL;",
    ),
    pgtrigger.Trigger(
        name="comment_search_update",
        when=pgtrigger.After,
        operation=pgtrigger.Update,
        condition=pgtrigger.AnyChange("body", "is_internal", "source", "case"),
        func="PERFORM casedesk_comment_search_refresh(ARRAY[NEW.id]); RETURN NULL;",
    ),
]

# A company's name is in its cases' labels, its language picks their text search configuration.
COMPANY_TRIGGERS = [
    pgtrigger.Trigger(
        name="company_search_update",
        when=pgtrigger.After,
        operation=pgtrigger.Update,
        condition=pgtrigger.AnyChange("name", "language"),
        func="""
            PERFORM casedesk_case_search_refresh(ARRAY(SELECT id FROM cases_case WHERE company_id = NEW.id));
            IF OLD.language IS DISTINCT FROM NEW.language THEN
                PERFORM casedesk_comment_search_refresh(ARRAY(
                    SELECT m.id FROM cases_comment m JOIN cases_case c ON c.id = m.case_id
                    WHERE c.company_id = NEW.id
                ));
            END IF;
            RETURN NULL;
        """,
    ),
]

# The names of a case's opener and contact are in its label and document.
USER_TRIGGERS = [
    pgtrigger.Trigger(
        name="user_search_update",
        when=pgtrigger.After,
        operation=pgtrigger.Update,
        condition=pgtrigger.AnyChange("first_name", "last_name"),
        func="""
            PERFORM casedesk_case_search_refresh(ARRAY(
                SELECT id FROM cases_case WHERE opened_by_id = NEW.id
                UNION SELECT id FROM cases_case WHERE on_behalf_of_id = NEW.id
            ));
            RETURN NULL;
        """,
    ),
]
