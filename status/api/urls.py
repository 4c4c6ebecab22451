from django.urls import path

from status.api import views

urlpatterns = [
    path("status/", views.StatusApi.as_view(), name="status"),
    path("support/contacts/", views.SupportContactsApi.as_view(), name="support-contacts"),
    path("status/subscriptions/", views.StatusSubscriptionListApi.as_view(), name="status-subscriptions"),
    path(
        "status/subscriptions/<slug:product_code>/",
        views.StatusSubscriptionDetailApi.as_view(),
        name="status-subscription",
    ),
]
