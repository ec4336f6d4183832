"""One person, roles in two villages: acting in village Y never shows anything of village X."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.factories import MembershipFactory, ResidentFactory, record
from villages.models import Membership


@pytest.fixture
def head_of_both(clock, village, other_village, head, scorer, resident, deed):
    """The head of X (李伟's village, with a ledger) also heads Y, and acts in Y."""
    MembershipFactory(user=head, village=other_village, role=Membership.Role.HEAD)
    MembershipFactory(user=head, village=other_village, role=Membership.Role.ADMIN)
    record(scorer=scorer, resident=resident, item=deed, note="only in X")
    ResidentFactory(village=other_village, name="滕德明")
    return head


@pytest.fixture
def acting_in_y(client, head_of_both, other_village):
    client.force_login(head_of_both)
    client.post(reverse("villages:switch"), {"village": other_village.pk})
    return client


def test_the_register_and_its_search_show_only_y(acting_in_y):
    names = [r.name for r in acting_in_y.get(reverse("villages:residents")).context["page"].object_list]
    assert names == ["滕德明"]
    assert not acting_in_y.get(reverse("villages:residents"), {"q": "lw"}).context["page"].object_list


def test_a_resident_of_x_is_404_by_id(acting_in_y, resident):
    for name in ("resident_detail", "resident_move", "resident_status", "resident_consent"):
        method = acting_in_y.get if name == "resident_detail" else acting_in_y.post
        assert method(reverse(f"villages:{name}", args=[resident.pk])).status_code == 404, name
    assert acting_in_y.get(reverse("office:ledger_export", args=["csv"]), {"resident": resident.pk}).status_code == 404


def test_the_dashboard_counts_only_y(acting_in_y):
    d = acting_in_y.get(reverse("office:dashboard")).context["d"]
    assert d.residents == 1
    assert d.month_totals.deeds == 0 and d.scorers == []


def test_the_exports_hold_only_y(acting_in_y):
    ledger = b"".join(acting_in_y.get(reverse("office:ledger_export", args=["csv"])).streaming_content).decode()
    assert "only in X" not in ledger and "李伟" not in ledger
    register = acting_in_y.get(reverse("villages:resident_export", args=["xlsx"]))
    names = [row[1] for row in load_workbook(io.BytesIO(register.content)).active.iter_rows(values_only=True)]
    assert names == ["姓名", "滕德明"]


def test_the_monthly_report_is_of_y(acting_in_y, other_village):
    response = acting_in_y.get(reverse("office:report_monthly"))
    assert response["Content-Type"] == "application/pdf"
    assert f"{other_village.code}-report-" in response["Content-Disposition"]


def test_the_accounts_of_x_stay_invisible(acting_in_y, scorer):
    accounts = [user.username for user, _roles in acting_in_y.get(reverse("villages:accounts")).context["accounts"]]
    assert "scorer" not in accounts
    assert acting_in_y.get(reverse("villages:account_detail", args=[scorer.pk])).status_code == 404
    assert acting_in_y.post(reverse("villages:account_password", args=[scorer.pk])).status_code == 404


def test_switching_back_to_x_shows_x(acting_in_y, village):
    acting_in_y.post(reverse("villages:switch"), {"village": village.pk})
    names = [r.name for r in acting_in_y.get(reverse("villages:residents")).context["page"].object_list]
    assert "李伟" in names and "滕德明" not in names
