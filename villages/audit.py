"""The audit trail: every change to the handbook, grade bands, roles, consent and accounts, and
security events, as an append-only AuditEvent."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.forms.models import model_to_dict

from villages.models import AuditEvent, Village


def snapshot(instance: models.Model, *, fields: list[str] | None = None) -> dict[str, Any]:
    """A JSON-safe dict of a model instance's field values, for `before`/`after`."""
    data = model_to_dict(instance, fields=fields)
    return {key: DjangoJSONEncoder().default(value) if not _plain(value) else value for key, value in data.items()}


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | list | dict)


def storable(text: str) -> str:
    """`text` as every database stores it: NUL (which PostgreSQL refuses) shown as U+FFFD, and lone
    surrogates (which no UTF-8 database takes) replaced. For text from a request, such as a path."""
    return text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


def record_audit(
    *,
    action: str,
    actor: AbstractBaseUser | None,
    village: Village | None,
    target: str = "",
    before: dict | None = None,
    after: dict | None = None,
    address: str | None = None,
) -> AuditEvent:
    """Append one event. Call it inside the service's transaction, so the change and its trail
    are written together or not at all."""
    return AuditEvent.objects.create(
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        village=village,
        target=storable(str(target))[:200],
        before=before,
        after=after,
        address=address,
    )
