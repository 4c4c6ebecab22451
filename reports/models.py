"""The reports read other apps' tables; the one model here has no table of its own."""

from __future__ import annotations

from django.db import models


class Dashboard(models.Model):
    """No table (``managed = False``): the admin's entry for the support managers' reports dashboard,
    so it is listed on the admin index (Reports › Dashboard) for those who may open it."""

    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = "dashboard"
        verbose_name_plural = "dashboard"

    def __str__(self) -> str:
        return "Reports dashboard"
