"""Benefits by grade: rewards from a grade up, never for the lowest grade; shown on the standing page,
printed on the certificate, and on /verify/ with nothing else about the holder."""

import io
from dataclasses import replace
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from points.certificates import render_certificate, render_certificates
from points.services import issue_certificate
from points.verification import certificate_data, code_for
from tests.factories import ResidentFactory, record
from tests.points.test_certificates import ARTIFACTS, pdf_text, render_png
from villages.benefits import benefits_for, end_benefit, offer_benefit

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def offers(village, admin):
    """From A: deposit-free tool rental; from A+: priority at the clinic. Grades: A+ A B C D."""
    today = village.today()
    rental = offer_benefit(
        village=village, grade="A", text="免押金租用农具", provider="村合作社", starts_on=today, author=admin
    )
    clinic = offer_benefit(
        village=village, grade="A+", text="卫生室优先就诊", provider="村卫生室", starts_on=today, author=admin
    )
    return rental, clinic


def test_a_benefit_goes_to_its_grade_and_every_higher_one(village, offers):
    rental, clinic = offers
    today = village.today()
    assert benefits_for(village=village, grade="A+", on=today) == [rental, clinic]
    assert benefits_for(village=village, grade="A", on=today) == [rental]
    assert benefits_for(village=village, grade="B", on=today) == []


def test_the_lowest_grade_can_never_be_given_a_benefit(village, admin):
    with pytest.raises(ValidationError) as caught:
        offer_benefit(village=village, grade="D", text="x", provider="y", starts_on=village.today(), author=admin)
    assert caught.value.code == "lowest_grade"
    assert benefits_for(village=village, grade="D", on=village.today()) == []


def test_only_the_office_offers_benefits(village, scorer):
    with pytest.raises(ValidationError) as caught:
        offer_benefit(village=village, grade="A", text="x", provider="y", starts_on=village.today(), author=scorer)
    assert caught.value.code == "not_allowed"


def test_an_ended_benefit_is_no_longer_given_but_stays_on_record(village, admin, offers, clock):
    rental, _clinic = offers
    end_benefit(benefit=rental, author=admin)
    assert rental in benefits_for(village=village, grade="A", on=village.today())  # ends tomorrow
    clock.shift(timedelta(days=1))
    assert benefits_for(village=village, grade="A", on=village.today()) == []
    assert benefits_for(village=village, grade="A", on=village.today() - timedelta(days=1)) == [rental]


def test_the_standing_page_shows_the_benefits_of_the_residents_grade(client, resident, offers):
    client.force_login(resident.user)
    response = client.get(reverse("points:standing"))
    assert "免押金租用农具" in response.text and "卫生室优先就诊" not in response.text  # grade A


def test_the_certificate_prints_the_benefits_of_its_grade(village, head, resident, offers, tmp_path):
    certificate = issue_certificate(resident=resident, issued_by=head)
    pdf = render_certificate(certificate_data(certificate))
    text = pdf_text(pdf)
    assert "免押金租用农具" in text and "卫生室优先就诊" not in text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "certificate-with-benefits.png").write_bytes(render_png(pdf, tmp_path).read_bytes())


def test_verify_shows_what_the_grade_gives_today_and_nothing_else_about_the_holder(
    client, village, head, scorer, resident, deed, offers
):
    record(scorer=scorer, resident=resident, item=deed, note="帮邻居修屋顶")  # 1,001: still A
    certificate = issue_certificate(resident=resident, issued_by=head)

    page = client.get(reverse("points:verify", args=[code_for(certificate)])).text

    assert "免押金租用农具" in page and "村合作社" in page
    assert "卫生室优先就诊" not in page
    for private in ("1,001", "1001", "帮邻居修屋顶", deed.title, resident.household.number, "store points"):
        assert private not in page, private


def test_verify_shows_no_benefits_for_a_superseded_certificate(client, village, head, resident, offers):
    old = issue_certificate(resident=resident, issued_by=head)
    issue_certificate(resident=resident, issued_by=head)
    page = client.get(reverse("points:verify", args=[code_for(old)])).text
    assert "免押金租用农具" not in page


def test_a_resident_of_the_lowest_grade_sees_no_benefit_and_no_loss(client, village, offers, scorer, infraction):
    low = ResidentFactory(village=village)
    for _ in range(16):
        record(scorer=scorer, resident=low, item=infraction)  # 840: D
    assert benefits_for(village=village, grade="D", on=village.today()) == []


def test_a_batch_prints_on_each_certificate_the_benefits_of_its_own_grade(village, head, resident, offers):
    certificate = issue_certificate(resident=resident, issued_by=head)  # grade A: the rental only
    a = certificate_data(certificate)
    pages = [
        replace(a, benefits=()),  # a village's first page without benefits must not hide the others'
        a,
        replace(a, resident_name="王芳", grade="A+", benefits=("卫生室优先就诊 (村卫生室)", *a.benefits)),
        replace(a, resident_name="张强", grade="B", benefits=()),
    ]
    texts = [page.extract_text() for page in PdfReader(io.BytesIO(render_certificates(pages))).pages]
    assert ["免押金租用农具" in text for text in texts] == [False, True, True, False]
    assert ["卫生室优先就诊" in text for text in texts] == [False, False, True, False]
