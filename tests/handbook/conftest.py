import pytest

from demo.handbook_data import fill_with_demo_pages
from tests.factories import EditionFactory


@pytest.fixture
def twelve_page_edition(village):
    """The demo village's 12-page handbook, published."""
    edition = EditionFactory(village=village, title="东岛刘家村村民积分手册")
    fill_with_demo_pages(edition)
    return edition
