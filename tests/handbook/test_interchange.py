"""A handbook as a YAML file: export, edit by hand, import as a new draft; all rows or none."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from handbook.interchange import export_edition, import_edition
from handbook.models import Edition, Item, Page
from handbook.services import ITEM_FIELDS
from villages.models import AuditEvent

pytestmark = pytest.mark.django_db


def _contents(edition):
    return {
        "title": edition.title,
        "pages": [
            (
                page.number,
                page.title,
                [tuple(getattr(item, f) for f in ITEM_FIELDS) for item in page.items.order_by("position", "code")],
            )
            for page in edition.pages.order_by("number")
        ],
    }


def test_export_then_import_yields_an_identical_edition(twelve_page_edition, other_village, outsider_admin):
    text = export_edition(twelve_page_edition)
    imported = import_edition(village=other_village, admin=outsider_admin, text=text.encode())
    assert imported.is_draft and imported.village == other_village
    assert _contents(imported) == _contents(twelve_page_edition)
    assert len(_contents(imported)["pages"]) == 12
    assert export_edition(imported) == text
    assert AuditEvent.objects.filter(action="handbook.import", village=other_village).exists()


GOOD = """\
title: 村民积分手册
pages:
  - title: 邻里互助
    items:
      - code: 1.10
        title: 为邻居修剪树木
        kind: deed
        points: 1
      - code: '1.2'
        title: 送老人去医院
        kind: deed
        points: 1
        cap: 2 per month
  - title: 环境卫生
    items:
      - code: '3.2'
        title: 放鸡出舍
        kind: infraction
        points: 10
        fine: 200
        counts_for_months: 12
"""


def test_it_imports_a_file_written_by_hand(village, admin):
    draft = import_edition(village=village, admin=admin, text=GOOD)
    assert list(draft.items.order_by("page__number", "position").values_list("code", flat=True)) == [
        "1.10",
        "1.2",
        "3.2",
    ]
    chickens = draft.items.get(code="3.2")
    assert (chickens.kind, chickens.fine_yuan, chickens.validity_months) == ("infraction", 200, 12)
    assert draft.items.get(code="1.2").cap_period == "month"


@pytest.mark.parametrize(
    ("bad_line", "good_line", "message"),
    [
        (
            "        points: 10\n",
            "        points: 10.3\n",
            "Line 16, item 3.2: points: Points must be positive and in steps of 0.5",
        ),
        (
            "        kind: infraction\n",
            "        kind: fault\n",
            "Line 16, item 3.2: kind must be “deed”, “infraction” or “warning”.",
        ),
        ("      - code: '3.2'\n", "      - code: '1.2'\n", "Line 16, item 1.2: The code is already used on line 9"),
        ("        cap: 2 per month\n", "        cap: twice a month\n", "Write the cap as “2 per month”"),
        ("        cap: 2 per month\n", "        cap: 40 per month\n", "A cap can allow at most 31 times a month."),
        ("        fine: 200\n", "        fine: 200\n        pionts: 3\n", "Unknown field “pionts”"),
        ("        points: 1\n", "        points: 1e100\n", "Points must be positive and in steps of 0.5"),
    ],
)
def test_an_import_with_one_bad_row_writes_nothing_and_names_the_row(village, admin, bad_line, good_line, message):
    text = GOOD.replace(bad_line, good_line, 1)
    assert text != GOOD
    with pytest.raises(ValidationError) as error:
        import_edition(village=village, admin=admin, text=text)
    assert any(message in m for m in error.value.messages), error.value.messages
    assert not Edition.objects.exists() and not Page.objects.exists() and not Item.objects.exists()
    assert not AuditEvent.objects.exists()


def test_it_reports_every_bad_row_at_once(village, admin):
    text = GOOD.replace("points: 1\n", "points: 0\n")
    with pytest.raises(ValidationError) as error:
        import_edition(village=village, admin=admin, text=text)
    assert [m.split(":")[0] for m in error.value.messages] == ["Line 5, item 1.10", "Line 9, item 1.2"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("title: [unclosed", "not valid YAML"),
        ("- just a list", "Expected “key: value” lines here."),
        ("title: x\npages: []\n", "needs a list of pages"),
        ("a: &x [1]\nb: *x\n", "aliases"),
        ("[" * 200_000, "more than 20 levels deep"),
        ("a:\n" + "".join(" " * (2 * level) + f"k{level}:\n" for level in range(1, 60)), "more than 20 levels deep"),
    ],
)
def test_it_refuses_what_is_not_a_handbook(village, admin, text, message):
    with pytest.raises(ValidationError) as error:
        import_edition(village=village, admin=admin, text=text)
    assert any(message in m for m in error.value.messages), error.value.messages
    assert not Edition.objects.exists()


def test_it_refuses_to_import_while_a_draft_exists(village, admin):
    import_edition(village=village, admin=admin, text=GOOD)
    with pytest.raises(ValidationError) as error:
        import_edition(village=village, admin=admin, text=GOOD)
    assert error.value.code == "draft_exists"
    assert Edition.objects.count() == 1


def test_the_editor_imports_an_uploaded_file_and_lists_bad_rows(client, admin, village):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(admin)
    bad = SimpleUploadedFile("handbook.yaml", GOOD.replace("points: 10\n", "points: -1\n").encode())
    response = client.post(reverse("handbook:editor_import"), {"file": bad})
    assert response.status_code == 400
    assert "Line 16, item 3.2" in response.content.decode()
    assert not Edition.objects.exists()
    good = SimpleUploadedFile("handbook.yaml", GOOD.encode())
    response = client.post(reverse("handbook:editor_import"), {"file": good})
    assert response["Location"] == reverse("handbook:editor_draft")
    assert Edition.objects.get().items.count() == 3


def test_the_editor_exports_an_edition_as_a_yaml_download(client, admin, twelve_page_edition):
    client.force_login(admin)
    response = client.get(reverse("handbook:editor_export", args=[twelve_page_edition.pk]))
    assert response["Content-Type"].startswith("application/yaml")
    assert "attachment" in response["Content-Disposition"]
    assert "放鸡出舍" in response.content.decode()


def test_warnings_and_the_warning_an_infraction_needs_survive_export_and_import(
    village, page, other_village, outsider_admin
):
    from handbook.booklet import _rules
    from tests.factories import make_item

    make_item(page, code="2.1", title="乱扔垃圾", kind=Item.Kind.INFRACTION, points=2, warning_days=30)
    make_item(
        page, code="2.0", title="乱扔垃圾：提醒", kind=Item.Kind.WARNING, points=0, warning_days=14, warns_for="2.1"
    )
    text = export_edition(page.edition)
    assert "warning_days: 30" in text and "warns_for: '2.1'" in text and "points: 0" in text

    imported = import_edition(village=other_village, admin=outsider_admin, text=text.encode())

    assert _contents(imported) == _contents(page.edition)
    warning = imported.items.get(code="2.0")
    assert (warning.kind, warning.points, warning.warning_days, warning.warns_for) == ("warning", 0, 14, "2.1")
    assert "deducted only after a warning in the 30 days before" in _rules(imported.items.get(code="2.1"))
    assert _rules(warning) == ["warning", "comes before 2.1", "shows for 14 days"]
