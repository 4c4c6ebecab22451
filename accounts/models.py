from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person: a customer or partner user (through memberships) or support staff (``is_staff``)."""

    email = models.EmailField("email address", blank=True, db_index=True)
    language = models.CharField(
        max_length=8, blank=True, help_text="Preferred language; empty means the company's language."
    )

    def __str__(self) -> str:
        return self.get_full_name() or self.username
