"""Two issuers at the same instant never draw the same serial number (file-backed SQLite, see
tests/points/test_concurrency.py for why)."""

import uuid

import pytest

from points.models import Certificate
from points.services import issue_certificate
from tests.factories import ResidentFactory
from tests.points.test_concurrency import at_the_same_instant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("round_", range(3))
def test_simultaneous_issues_get_distinct_consecutive_serials(round_, village, head, admin):
    residents = [ResidentFactory(village=village) for _ in range(4)]
    calls = [
        (lambda r=r, by=by: issue_certificate(resident=r, issued_by=by))
        for r, by in zip(residents, [head, admin, head, admin], strict=True)
    ]
    outcomes = at_the_same_instant(*calls)
    assert all(isinstance(o, Certificate) for o in outcomes), outcomes
    assert sorted(o.sequence for o in outcomes) == [1, 2, 3, 4]
    assert len({o.serial for o in outcomes}) == 4


def test_one_issue_form_posted_many_times_at_once_issues_one_certificate(village, head, resident):
    key = uuid.uuid4()
    calls = [lambda: issue_certificate(resident=resident, issued_by=head, idempotency_key=key) for _ in range(6)]
    outcomes = at_the_same_instant(*calls)
    assert all(isinstance(o, Certificate) for o in outcomes), outcomes
    assert len({o.pk for o in outcomes}) == 1
    assert Certificate.objects.filter(resident=resident).count() == 1
