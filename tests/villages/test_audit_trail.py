"""The audit trail is append-only: recorded once, never changed or deleted through the ORM
(on PostgreSQL a trigger refuses the same below it: tests/points/test_ledger_chain.py)."""

import pytest

from villages.audit import record_audit
from villages.models import AppendOnlyError, AuditEvent


def test_an_audit_event_cannot_be_changed_or_deleted(village, admin):
    event = record_audit(action="role.grant", actor=admin, village=village, target="scorer", after={"role": "scorer"})

    event.target = "someone else"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(target="someone else")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()

    assert AuditEvent.objects.get(pk=event.pk).target == "scorer"
