"""Reference data: the rows every installation needs (support groups and their permissions, products,
case catalogues and the priority matrix, queues, SLA calendars and policy, canned responses, the
maintenance windows), shipped as fixtures in ``fixtures/reference/`` and created by ``bootstrap``.

Unlike ``loaddata``, which writes every fixture row over whatever the database holds, each row is
*offered once*: created when missing, then recorded in ``ReferenceSeed`` and never touched again. An
operator's later edit in the admin stays, a row they deleted does not come back, and a row a new
release adds is created on the next ``bootstrap`` (the compose stack runs it on every start).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.base import DeserializedObject
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from core.models import ReferenceSeed

Outcome = ReferenceSeed.Outcome


def reference_fixture_dir() -> Path:
    return Path(settings.BASE_DIR) / "fixtures" / "reference"


@dataclass
class ReferenceLoadResult:
    created: Counter[str] = field(default_factory=Counter)  # model label → rows created
    found: int = 0  # rows already in the database (e.g. loaded before the ledger existed)
    skipped: list[str] = field(default_factory=list)  # "<key>: why"

    def summary(self) -> str:
        made = ", ".join(f"{label} {n}" for label, n in sorted(self.created.items())) or "nothing new"
        return f"reference data: created {made}; {self.found} already there; {len(self.skipped)} not created"


def _key(instance: models.Model) -> str:
    return f"{instance._meta.label_lower}:{instance.pk}"


def _missing_relation(deserialized: DeserializedObject) -> str | None:
    """The first foreign key whose target no longer exists (an operator deleted it), if any."""
    instance = deserialized.object
    for model_field in instance._meta.concrete_fields:
        if not isinstance(model_field, models.ForeignKey):  # OneToOneField is one too
            continue
        value = getattr(instance, model_field.attname)
        target = model_field.related_model
        assert isinstance(target, type) and issubclass(target, models.Model)
        lookup = {model_field.target_field.attname: value}
        if value is not None and not target._base_manager.filter(**lookup).exists():
            return f"{model_field.name} → {target._meta.label_lower}:{value}"
    return None


def _drop_missing_m2m(deserialized: DeserializedObject) -> None:
    """Keep only the many-to-many targets that exist (an operator may have deleted some)."""
    opts = deserialized.object._meta
    m2m_data = deserialized.m2m_data or {}
    for name, pks in m2m_data.items():
        target = opts.get_field(name).related_model
        assert isinstance(target, type) and issubclass(target, models.Model)
        existing = set(target._base_manager.filter(pk__in=pks).values_list("pk", flat=True))
        m2m_data[name] = [pk for pk in pks if pk in existing]
    deserialized.m2m_data = m2m_data


def _offer(deserialized: DeserializedObject, result: ReferenceLoadResult) -> str:
    """Create one reference row if it can be; answers the outcome to record."""
    instance = deserialized.object
    model = type(instance)
    if model._base_manager.filter(pk=instance.pk).exists():
        result.found += 1
        return Outcome.FOUND
    missing = _missing_relation(deserialized)
    if missing is not None:
        result.skipped.append(f"{_key(instance)}: refers to {missing}, which no longer exists")
        return Outcome.SKIPPED
    _drop_missing_m2m(deserialized)
    try:
        with transaction.atomic():  # a savepoint: a collision leaves the rest of the load intact
            deserialized.save()
    except IntegrityError as exc:  # an operator's row already holds one of its unique values
        result.skipped.append(f"{_key(instance)}: {str(exc).splitlines()[0]}")
        return Outcome.SKIPPED
    result.created[model._meta.label] += 1
    return Outcome.CREATED


@transaction.atomic
def reference_data_load(
    *, fixture_dir: Path | None = None, now: datetime | None = None
) -> ReferenceLoadResult:
    """Create the reference rows this database has never been offered (see the module docstring);
    existing rows are never changed and no user is ever created."""
    now = now or timezone.now()
    fixture_dir = fixture_dir or reference_fixture_dir()
    offered = set(ReferenceSeed.objects.values_list("key", flat=True))
    user_model = get_user_model()
    result = ReferenceLoadResult()
    seeds: list[ReferenceSeed] = []
    for path in sorted(fixture_dir.glob("*.json")):
        with path.open(encoding="utf-8") as stream:
            for deserialized in serializers.deserialize("json", stream):
                instance = deserialized.object
                if isinstance(instance, user_model):
                    raise ValueError(f"{path.name}: reference data must not contain users ({instance}).")
                key = _key(instance)
                if key in offered:
                    continue
                offered.add(key)
                seeds.append(ReferenceSeed(key=key, outcome=_offer(deserialized, result), seeded_at=now))
    ReferenceSeed.objects.bulk_create(seeds)
    _sequences_reset(result)
    return result


def _sequences_reset(result: ReferenceLoadResult) -> None:
    """Rows were written with their fixture primary keys: move PostgreSQL's sequences past them, as
    ``loaddata`` does, so the next row created in the admin does not collide."""
    created_models = [apps.get_model(label) for label in result.created]
    statements = connection.ops.sequence_reset_sql(no_style(), created_models)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
