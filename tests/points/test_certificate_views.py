"""The registry, batches and downloads: who may do what (the permission matrix)."""

import io
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pypdf import PdfReader

from points.models import Certificate, CertificateBatch
from points.services import issue_certificate
from tests.factories import ResidentFactory
from villages.models import Resident

MANAGERS = ["head", "admin"]
OTHERS = ["scorer", "resident", "outsider_head", "outsider_admin"]


def login(client, request, who: str):
    user = request.getfixturevalue(who)
    client.force_login(user.user if isinstance(user, Resident) else user)
    return client


@pytest.fixture
def certificate(village, head, other_resident) -> Certificate:
    return issue_certificate(resident=other_resident, issued_by=head)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


# --- The registry and issuing one certificate -----------------------------------------------


@pytest.mark.parametrize("who", MANAGERS)
def test_it_shows_the_registry_to_the_head_and_administrators(client, request, who, certificate):
    response = login(client, request, who).get(reverse("points:certificates"))
    assert response.status_code == 200
    assert certificate.serial in response.content.decode()


@pytest.mark.parametrize("who", ["scorer", "resident"])
def test_it_refuses_the_registry_to_scorers_and_residents(client, request, who, certificate):
    assert login(client, request, who).get(reverse("points:certificates")).status_code == 403


def test_it_shows_another_village_only_its_own_certificates(client, request, certificate):
    response = login(client, request, "outsider_head").get(reverse("points:certificates"))
    assert response.status_code == 200
    assert certificate.serial not in response.content.decode()


def test_it_finds_residents_to_issue_to_by_pinyin_initials(client, request, resident, certificate):
    response = login(client, request, "head").get(reverse("points:certificates"), {"q": "lw"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html and html.lstrip().startswith('<div id="results">')  # the partial only
    assert reverse("points:resident_certificates", args=[resident.pk]) in html


def test_the_registry_costs_the_same_queries_for_few_and_many(
    client, request, village, head, django_assert_max_num_queries
):
    client = login(client, request, "head")
    issue_certificate(resident=ResidentFactory(village=village), issued_by=head)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("points:certificates"))
    for _ in range(30):
        issue_certificate(resident=ResidentFactory(village=village), issued_by=head)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("points:certificates"))


@pytest.mark.parametrize("who", MANAGERS)
def test_the_head_and_administrators_issue_a_certificate(client, request, who, other_resident):
    response = login(client, request, who).post(reverse("points:issue_certificate", args=[other_resident.pk]))
    assert response.status_code == 302
    assert Certificate.objects.filter(resident=other_resident).count() == 1


@pytest.mark.parametrize("who", OTHERS)
def test_nobody_else_issues_a_certificate(client, request, who, other_resident):
    response = login(client, request, who).post(reverse("points:issue_certificate", args=[other_resident.pk]))
    assert response.status_code == 404
    assert not Certificate.objects.exists()


def test_issuing_explains_a_refusal(client, request, village):
    moved = ResidentFactory(village=village, status=Resident.Status.MOVED_AWAY)
    response = login(client, request, "head").post(reverse("points:issue_certificate", args=[moved.pk]), follow=True)
    assert "no longer lives in the village" in response.content.decode()
    assert not Certificate.objects.exists()


# --- Revoking -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", MANAGERS)
def test_the_head_and_administrators_revoke_with_a_reason(client, request, who, certificate):
    client = login(client, request, who)
    url = reverse("points:revoke_certificate", args=[certificate.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": ""}).status_code == 200  # the form again, with the error
    certificate.refresh_from_db()
    assert not certificate.is_revoked
    assert client.post(url, {"reason": "颁发有误"}).status_code == 302
    certificate.refresh_from_db()
    assert certificate.revoke_reason == "颁发有误"


@pytest.mark.parametrize("who", [*OTHERS, "other_resident"])
def test_nobody_else_revokes(client, request, who, certificate):
    client = login(client, request, who)
    url = reverse("points:revoke_certificate", args=[certificate.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "不对"}).status_code == 404
    certificate.refresh_from_db()
    assert not certificate.is_revoked


# --- Downloads ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", [*MANAGERS, "other_resident"])
def test_the_head_administrators_and_its_resident_download_the_pdf(client, request, who, certificate):
    response = login(client, request, who).get(reverse("points:certificate_pdf", args=[certificate.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert certificate.serial in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()


@pytest.mark.parametrize("who", OTHERS)
def test_nobody_else_downloads_the_pdf(client, request, who, certificate):
    # "resident" is another resident of the same village: they see only their own.
    assert login(client, request, who).get(reverse("points:certificate_pdf", args=[certificate.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, certificate):
    response = client.get(reverse("points:certificate_pdf", args=[certificate.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_resident_lists_only_their_own_certificates(client, request, village, head, resident, certificate):
    own = issue_certificate(resident=resident, issued_by=head)
    response = login(client, request, "resident").get(reverse("points:my_certificates"))
    html = response.content.decode()
    assert own.serial in html and certificate.serial not in html


def test_the_standing_page_links_to_my_certificates(client, request, resident):
    html = login(client, request, "resident").get(reverse("points:standing")).content.decode()
    assert reverse("points:my_certificates") in html


def test_the_home_page_offers_the_registry_to_the_head(client, request):
    html = login(client, request, "head").get(reverse("office:home")).content.decode()
    assert reverse("points:certificates") in html


# --- Batches --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", MANAGERS)
def test_the_head_and_administrators_run_a_batch_and_download_its_pdf(
    client, request, who, village, resident, other_resident, media, django_capture_on_commit_callbacks
):
    client = login(client, request, who)
    with django_capture_on_commit_callbacks(execute=True):  # tasks run eagerly here
        response = client.post(reverse("points:batch_start"), {})
    batch = CertificateBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("points:batch", args=[batch.pk])
    assert (batch.status, batch.done, batch.total) == ("done", 2, 2)

    page = client.get(reverse("points:batch", args=[batch.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "every 1s" not in page  # done: polling stops
    assert reverse("points:batch_pdf", args=[batch.pk]) in page
    pdf = b"".join(client.get(reverse("points:batch_pdf", args=[batch.pk])).streaming_content)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 2
    assert sorted(Certificate.objects.values_list("resident_name", flat=True)) == ["李伟", "王芳"]


def test_a_batch_can_be_limited_to_some_grades(client, request, village, resident, media):
    client = login(client, request, "head")
    client.post(reverse("points:batch_start"), {"grades": ["A+"]}, follow=True)
    assert not CertificateBatch.objects.exists()  # everyone is at A: nothing to issue
    client.post(reverse("points:batch_start"), {"grades": ["A", "B"]})
    assert CertificateBatch.objects.get().resident_ids == [resident.pk]


def test_a_running_batch_polls_its_progress(client, request, village, head, resident):
    batch = CertificateBatch.objects.create(
        village=village, requested_by=head, resident_ids=[resident.pk], total=4, done=1, status="running"
    )
    client = login(client, request, "head")
    partial = client.get(reverse("points:batch", args=[batch.pk]), HTTP_HX_REQUEST="true")
    html = partial.content.decode()
    assert html.lstrip().startswith('<section id="progress"')  # the partial only
    assert 'hx-trigger="every 1s"' in html and "1 of 4 certificates (25%)" in html
    page = client.get(reverse("points:batch", args=[batch.pk])).content.decode()
    assert "<html" in page and reverse("points:batch", args=[batch.pk]) in page  # the plain refresh link
    assert client.get(reverse("points:batch_pdf", args=[batch.pk])).status_code == 404  # not done yet


@pytest.mark.parametrize("who", ["scorer", "resident"])
def test_scorers_and_residents_cannot_start_a_batch(client, request, who, resident):
    assert login(client, request, who).post(reverse("points:batch_start"), {}).status_code == 403
    assert not CertificateBatch.objects.exists()


@pytest.mark.parametrize("who", ["scorer", "resident", "outsider_head", "outsider_admin"])
def test_nobody_else_sees_or_downloads_a_batch(client, request, who, village, head, resident):
    batch = CertificateBatch.objects.create(village=village, requested_by=head, resident_ids=[resident.pk], total=1)
    client = login(client, request, who)
    for name in ["points:batch", "points:batch_pdf"]:
        assert client.get(reverse(name, args=[batch.pk])).status_code == 404
    assert client.post(reverse("points:batch_resume", args=[batch.pk])).status_code == 404


def test_the_issue_form_posted_twice_issues_one_certificate(client, head, resident):
    client.force_login(head)
    page = client.get(reverse("points:resident_certificates", args=[resident.pk]))
    key = str(page.context["idempotency_key"])
    assert f'value="{key}"' in page.content.decode()
    url = reverse("points:issue_certificate", args=[resident.pk])
    for _tap in range(2):
        assert client.post(url, {"idempotency_key": key}).status_code == 302
    assert resident.certificates.count() == 1


def test_an_issue_key_used_for_another_resident_is_refused(village, head, resident, other_resident):
    key = uuid.uuid4()
    issue_certificate(resident=resident, issued_by=head, idempotency_key=key)
    with pytest.raises(ValidationError) as refused:
        issue_certificate(resident=other_resident, issued_by=head, idempotency_key=key)
    assert refused.value.code == "key_reused"
    assert not other_resident.certificates.exists()
