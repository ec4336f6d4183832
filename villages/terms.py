"""A village's grade scales and the benefits offered on a day, read once per process for each revision.

Both change only through villages.services.scale (set_grade_bands), villages.benefits (offer_benefit,
end_benefit) and the admin's village page, and each of them calls `revise_terms` in the same
transaction: the village gets a new random `terms_revision`. A page that has the village row anyway
(the acting village, a resident's village) reads them here under (village id, revision): a
revision is never reused, so what is kept can never be stale and nothing has to be invalidated.
A new village starts with a revision of its own. The standing page reads both on every request
(issue 18: ≤ 3× its floor).
"""

import threading
import uuid
from collections import OrderedDict
from datetime import date

from villages.grades import Scales, scale_history
from villages.models import Benefit, Village

KEPT = 512  # per process: scales by village, benefits by village and day

_kept: "OrderedDict[tuple, object]" = OrderedDict()
_lock = threading.Lock()


def revise_terms(village: Village) -> None:
    """Give `village` a new terms revision: call it inside the transaction that changes its grade
    scales or benefits."""
    village.terms_revision = uuid.uuid4()
    Village.objects.filter(pk=village.pk).update(terms_revision=village.terms_revision)


def kept_scales(village: Village) -> Scales:
    """villages.grades.scale_history of `village`: one query the first time for this revision."""
    return _kept_or(("scales", village.pk, village.terms_revision), lambda: scale_history(village_id=village.pk))


def kept_benefits(village: Village, on: date) -> list[Benefit]:
    """The benefits `village` offers on `on` (Benefit.objects.on), oldest offer first: one query the
    first time for this revision and day. Shared by every request: read them, never change them."""
    return _kept_or(
        ("benefits", village.pk, village.terms_revision, on),
        lambda: list(Benefit.objects.filter(village=village).on(on)),
    )


def _kept_or(key: tuple, read):
    with _lock:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
            return found
    found = read()
    with _lock:
        _kept[key] = found
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return found
