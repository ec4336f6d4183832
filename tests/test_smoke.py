import uuid

from points.services import record_entry
from points.standing import compute_standing


def test_it_records_a_deed_and_the_balance_moves(resident, scorer, deed):
    record_entry(
        scorer=scorer, resident=resident, item=deed, occurred_on=resident.village.today(), idempotency_key=uuid.uuid4()
    )
    standing = compute_standing(resident=resident)
    assert standing.balance == 1001
    assert standing.grade == "A"
