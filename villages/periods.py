"""Which of a run of consecutive periods (months, usually) holds a date or a moment, in SQL."""

from itertools import pairwise

from django.db import models
from django.db.models import Case, Value, When


def period_index(field: str, bounds: list) -> Case:
    """The index i of the period [bounds[i], bounds[i + 1]) holding `field` (NULL outside them),
    by plain comparisons: no function per row in the database (TruncMonth is a Python function
    called per row on SQLite) nor a date parsed per row in Python. `bounds` ascend: n + 1 dates
    (or aware datetimes, e.g. local midnights) for n periods."""
    return Case(
        *[
            When(**{f"{field}__gte": start, f"{field}__lt": end}, then=Value(i))
            for i, (start, end) in enumerate(pairwise(bounds))
        ],
        output_field=models.IntegerField(),
    )
