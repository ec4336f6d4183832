"""A published edition's pages and items, read from the database once per process.

A published edition is frozen: the services, the editor and the admin refuse to change its pages
and items, and a change of the handbook is a new edition with ids of its own. So what was read
under (edition id, published at) can never go stale and nothing has to be invalidated; a draft is
never kept. The scorer's item picker reads it on every keystroke (issue 15: ≤ 3× its floor).
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass

from handbook.models import Edition, Item, Page

EDITIONS_KEPT = 64  # per process; a village's handbook is a few hundred items


@dataclass(frozen=True)
class Contents:
    pages: list[Page]  # by number
    items: list[Item]  # each with its .page; shared by every request: copy one before changing it


_kept: "OrderedDict[tuple, Contents]" = OrderedDict()
_lock = threading.Lock()


def published_contents(edition: Edition) -> Contents:
    """The pages and items of `edition` (published), two queries the first time in a process and
    none afterwards."""
    if edition.is_draft:
        raise ValueError("Only a published edition's contents can be kept.")
    key = (edition.pk, edition.published_at)
    with _lock:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
            return found
    pages = list(Page.objects.filter(edition=edition).order_by("number"))
    by_pk = {page.pk: page for page in pages}
    items = list(Item.objects.filter(edition=edition).order_by("page__number", "position", "code"))
    for item in items:
        item.page = by_pk[item.page_id]
    found = Contents(pages=pages, items=items)
    with _lock:
        _kept[key] = found
        while len(_kept) > EDITIONS_KEPT:
            _kept.popitem(last=False)
    return found


def forget_contents() -> None:
    """Forget every kept edition. For tests only: they roll back ids that come again, and their
    factories add items to published editions, which nothing else can."""
    with _lock:
        _kept.clear()
