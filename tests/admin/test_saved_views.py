"""Saved views: an analyst keeps the case list's filters and ordering as a named queue, for themself
or shared with the team; it shows beside the built-in queues and opens the same list."""

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import CaseStatus, SavedView
from cases.services import saved_view_delete, saved_view_save
from core.errors import PermissionRefused, ValidationFailed
from tests.factories import AnalystFactory, CaseFactory, SupportManagerFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:cases_case_changelist")
SAVE = reverse("admin:cases_savedview_save")


def said(response):
    return [str(message) for message in response.context["messages"]]


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


def test_an_analyst_saves_the_current_filters_and_ordering_as_a_view(analyst_client, analyst):
    p1 = CaseFactory(priority="P1", status=CaseStatus.IN_PROGRESS)
    CaseFactory(priority="P3")

    response = analyst_client.post(
        SAVE,
        {"name": "  P1 in  progress ", "query": "priority__exact=P1&status__exact=in_progress&o=2&p=3"},
        follow=True,
    )

    view = SavedView.objects.get(owner=analyst)
    assert (view.name, view.query, view.is_shared) == (
        "P1 in progress",
        "o=2&priority__exact=P1&status__exact=in_progress",
        False,
    )
    assert said(response) == ["View 'P1 in progress' saved (only you see it)."]
    tabs = {tab["name"]: tab for tab in response.context["saved_views"]}
    assert tabs["P1 in progress"]["active"] and response.context["title"] == "P1 in progress"
    assert [c.pk for c in response.context["cl"].result_list] == [p1.pk]


def test_a_personal_view_is_only_its_owners_and_a_shared_one_everyones(analyst_client, analyst):
    colleague = AnalystFactory()
    saved_view_save(owner=analyst, name="Mine", query="priority__exact=P1", is_shared=False)
    saved_view_save(owner=analyst, name="Team P2", query="priority__exact=P2", is_shared=True)

    theirs = as_user(colleague).get(CHANGELIST)

    assert [view["name"] for view in theirs.context["saved_views"]] == ["Team P2"]
    html = theirs.content.decode()
    assert f'href="{CHANGELIST}?priority__exact=P2"' in html and f"Shared by {analyst}" in html
    assert [view["name"] for view in analyst_client.get(CHANGELIST).context["saved_views"]] == [
        "Mine",
        "Team P2",
    ]


def test_saving_again_under_the_same_name_replaces_the_view(analyst):
    first, created = saved_view_save(owner=analyst, name="Mine", query="priority__exact=P1", is_shared=False)
    again, created_again = saved_view_save(
        owner=analyst, name="Mine", query="priority__exact=P2", is_shared=True
    )

    assert (created, created_again, first.pk) == (True, False, again.pk)
    assert (again.query, again.is_shared) == ("priority__exact=P2", True)


@pytest.mark.parametrize(
    ("name", "query", "code"),
    [
        ("   ", "o=1", "name_required"),
        ("x" * 61, "o=1", "name_too_long"),
        ("Long", "q=" + "x" * 1200, "query_too_long"),
    ],
)
def test_refused_views(analyst, name, query, code):
    with pytest.raises(ValidationFailed) as refused:
        saved_view_save(owner=analyst, name=name, query=query, is_shared=False)
    assert refused.value.code == code


def test_only_the_owner_or_a_support_manager_for_a_shared_view_deletes_it(analyst_client, analyst):
    colleague, manager = AnalystFactory(), SupportManagerFactory()
    personal, _ = saved_view_save(owner=analyst, name="Mine", query="o=1", is_shared=False)
    shared, _ = saved_view_save(owner=analyst, name="Team", query="o=2", is_shared=True)

    with pytest.raises(PermissionRefused):
        saved_view_delete(view=shared, actor=colleague)
    saved_view_delete(view=shared, actor=manager)
    refused = as_user(colleague).post(
        reverse("admin:cases_savedview_delete", args=[personal.pk]), follow=True
    )
    assert said(refused) == ["That view no longer exists."]  # someone else's personal view: as if none
    deleted = analyst_client.post(reverse("admin:cases_savedview_delete", args=[personal.pk]), follow=True)

    assert said(deleted) == ["View 'Mine' deleted."]
    assert not SavedView.objects.exists()


def test_a_view_with_a_queue_keeps_its_meaning_for_each_analyst(analyst_client, analyst):
    colleague = AnalystFactory()
    saved_view_save(owner=analyst, name="My P1", query="worklist=mine&priority__exact=P1", is_shared=True)
    mine = CaseFactory(assignee=analyst, priority="P1")
    theirs = CaseFactory(assignee=colleague, priority="P1")

    for user, case in ((analyst, mine), (colleague, theirs)):
        listed = as_user(user).get(f"{CHANGELIST}?priority__exact=P1&worklist=mine").context["cl"].result_list
        assert [c.pk for c in listed] == [case.pk]


def test_the_case_page_names_the_saved_view_it_came_from(analyst_client, analyst):
    saved_view_save(owner=analyst, name="Urgent ones", query="priority__exact=P1", is_shared=False)
    case = CaseFactory(priority="P1")

    response = analyst_client.get(
        f"{reverse('admin:cases_case_change', args=[case.pk])}?_changelist_filters=priority__exact%3DP1"
    )

    assert response.context["queue_title"] == "Urgent ones"


def test_the_case_page_names_a_shared_view_it_came_from(analyst):
    owner = AnalystFactory()
    saved_view_save(owner=owner, name="Team P1", query="priority__exact=P1", is_shared=True)
    case = CaseFactory(priority="P1")

    response = as_user(analyst).get(
        f"{reverse('admin:cases_case_change', args=[case.pk])}?_changelist_filters=priority__exact%3DP1"
    )

    assert response.context["queue_title"] == "Team P1"
