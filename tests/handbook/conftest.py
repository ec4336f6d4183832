from decimal import Decimal

import pytest

from handbook.models import Item, Page
from tests.factories import EditionFactory
from villages.demo.handbook_data import PAGES


@pytest.fixture
def twelve_page_edition(village):
    """The demo village's 12-page handbook, published."""
    edition = EditionFactory(village=village, title="东岛刘家村村民积分手册")
    items = []
    for number, (title, rows) in enumerate(PAGES, start=1):
        page = Page.objects.create(edition=edition, number=number, title=title)
        for position, (code, item_title, description, kind, points, fine, cap, validity) in enumerate(rows, start=1):
            items.append(
                Item(
                    edition=edition,
                    page=page,
                    position=position,
                    code=code,
                    title=item_title,
                    description=description,
                    kind=kind,
                    points=Decimal(points),
                    fine_yuan=fine,
                    cap_count=cap[0] if cap else None,
                    cap_period=cap[1] if cap else "",
                    validity_months=validity,
                )
            )
    Item.objects.bulk_create(items)
    return edition
