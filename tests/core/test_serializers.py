"""``OutputModelSerializer`` builds a class's fields once and gives each instance copies of its own."""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import User
from core.api.serializers import OutputModelSerializer


class _Brief(OutputModelSerializer):
    class Meta:
        model = User
        fields = ("id", "username")


class _WithChildren(OutputModelSerializer):
    nicknames = serializers.ListField(child=serializers.CharField(), source="get_nicknames")
    brief = _Brief(source="*")
    shout = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ("id", "username", "nicknames", "brief", "shout")

    def get_shout(self, user: User) -> str:
        return f"{user.username.upper()} for {self.context['audience']}"


class _Person:
    def __init__(self, pk: int, username: str) -> None:
        self.pk = self.id = pk
        self.username = username

    def get_nicknames(self) -> list[str]:
        return [self.username[:3]]


def test_each_instance_binds_fields_of_its_own_and_the_built_ones_stay_unbound() -> None:
    first = _WithChildren(_Person(1, "alice"), context={"audience": "first"})
    second = _WithChildren(_Person(2, "bob"), context={"audience": "second"})

    assert first.data == {
        "id": 1,
        "username": "alice",
        "nicknames": ["ali"],
        "brief": {"id": 1, "username": "alice"},
        "shout": "ALICE for first",
    }
    assert second.data["shout"] == "BOB for second"  # the method field reads its own parent's context
    for name in ("id", "username", "nicknames", "brief", "shout"):
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first and second.fields[name].parent is second
    # Children (the list's item field, the nested serializer's fields) are bound to their own copy.
    assert first.fields["nicknames"].child.parent is first.fields["nicknames"]
    assert first.fields["brief"].fields["id"].parent is first.fields["brief"]
    built = OutputModelSerializer._fields_built[_WithChildren]
    assert all(
        getattr(field, "parent", None) is None and field.field_name is None for field in built.values()
    )
