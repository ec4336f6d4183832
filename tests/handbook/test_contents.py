"""A published edition's pages and items, kept per process (handbook.contents)."""

import pytest

from handbook.contents import published_contents
from handbook.models import Edition


def test_it_reads_a_published_editions_items_once(edition, deed, infraction, django_assert_num_queries):
    with django_assert_num_queries(2):
        first = published_contents(edition)
    same = Edition.objects.get(pk=edition.pk)  # as the next request reads it
    with django_assert_num_queries(0):
        again = published_contents(same)
    assert again is first
    assert [item.code for item in first.items] == [deed.code, infraction.code]
    assert first.items[0].page.title == deed.page.title


def test_it_never_keeps_a_draft(village, admin):
    draft = Edition.objects.create(village=village, number=99, title="草稿")
    with pytest.raises(ValueError):
        published_contents(draft)
