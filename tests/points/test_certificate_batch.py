"""A batch issues each of its residents exactly one certificate, however often it runs."""

import io
import os
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from points.models import Certificate, CertificateBatch
from points.services import (
    batch_pdf_path,
    issue_certificate,
    run_certificate_batch,
    start_batch,
)
from points.services.issuing import BATCH_CHUNK, STALL_AFTER, _issue, resume_stalled_batches
from points.standing import village_grades
from tests.factories import ResidentFactory
from villages.models import Resident


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def residents(village) -> list[Resident]:
    return [ResidentFactory(village=village) for _ in range(7)]


def test_it_chooses_the_residents_when_it_starts(village, head, residents):
    ResidentFactory(village=village, status=Resident.Status.MOVED_AWAY)
    ResidentFactory(village=village, consent_given_on=None, consent_recorded_by=None)
    batch = start_batch(village=village, requested_by=head)
    assert sorted(batch.resident_ids) == sorted(r.pk for r in residents)
    assert (batch.total, batch.done, batch.status) == (7, 0, "queued")


def test_it_resumes_after_a_worker_died_issuing_only_what_is_missing(village, head, residents):
    batch = start_batch(village=village, requested_by=head)
    # The first run died after issuing three certificates (one committed chunk), before the PDF.
    first = _issue(
        village=village,
        residents=residents[:3],
        grades=village_grades(village=village, residents=residents),
        issued_by=head,
        batch=batch,
    )
    run_certificate_batch(batch_id=batch.pk)
    batch.refresh_from_db()
    issued = list(Certificate.objects.filter(batch=batch).order_by("sequence"))
    assert (batch.status, batch.done) == ("done", 7)
    assert sorted(c.resident_id for c in issued) == sorted(r.pk for r in residents)
    assert [c.sequence for c in issued] == list(range(1, 8))
    assert issued[:3] == first
    assert len(PdfReader(io.BytesIO(batch_pdf_path(batch).read_bytes())).pages) == 7


def test_running_it_again_changes_nothing(village, head, residents):
    batch = start_batch(village=village, requested_by=head)
    run_certificate_batch(batch_id=batch.pk)
    pdf = batch_pdf_path(batch).read_bytes()
    CertificateBatch.objects.filter(pk=batch.pk).update(status="running")  # as if redelivered
    run_certificate_batch(batch_id=batch.pk)
    assert Certificate.objects.filter(batch=batch).count() == 7
    assert batch_pdf_path(batch).read_bytes() == pdf  # rendered again, to the same bytes


def test_it_returns_quietly_for_a_batch_that_is_gone(db):
    assert run_certificate_batch(batch_id=123456) is None


def test_it_continues_the_village_sequence_after_single_certificates(village, head, residents):
    issue_certificate(resident=residents[0], issued_by=head)
    batch = start_batch(village=village, requested_by=head)
    run_certificate_batch(batch_id=batch.pk)
    serials = sorted(Certificate.objects.values_list("sequence", flat=True))
    assert serials == list(range(1, 9))


def test_it_refuses_a_scorer(village, scorer, residents):
    with pytest.raises(ValidationError):
        start_batch(village=village, requested_by=scorer)
    assert not CertificateBatch.objects.exists()


def test_it_removes_temporary_files_left_by_killed_runs(village, head, residents, settings):
    batch = start_batch(village=village, requested_by=head)
    target = batch_pdf_path(batch)
    target.parent.mkdir(parents=True)
    stale, fresh = target.parent / f".{target.name}.old", target.parent / f".{target.name}.new"
    stale.write_bytes(b"%PDF-1.4 half")
    fresh.write_bytes(b"%PDF-1.4 half")
    old = time.time() - settings.CELERY_TASK_TIME_LIMIT - 60
    os.utime(stale, (old, old))
    run_certificate_batch(batch_id=batch.pk)
    assert not stale.exists() and fresh.exists()  # the fresh one may belong to a run still going


def test_a_batch_whose_worker_went_silent_is_resumed_by_the_periodic_job(
    clock, village, head, residents, django_capture_on_commit_callbacks
):
    batch = start_batch(village=village, requested_by=head)
    # Its worker issued one chunk, beat, and was killed (no PDF, status still "running").
    _issue(
        village=village,
        residents=residents[:3],
        grades=village_grades(village=village, residents=residents),
        issued_by=head,
        batch=batch,
    )
    CertificateBatch.objects.filter(pk=batch.pk).update(status="running", done=3, heartbeat_at=timezone.now())
    clock.shift(STALL_AFTER - timedelta(seconds=1))
    assert resume_stalled_batches() == 0, "a batch that beat recently is left alone"
    clock.shift(timedelta(seconds=2))
    with django_capture_on_commit_callbacks(execute=True):
        assert resume_stalled_batches() == 1
    batch.refresh_from_db()
    assert (batch.status, batch.done) == ("done", 7)
    assert sorted(Certificate.objects.filter(batch=batch).values_list("resident_id", flat=True)) == sorted(
        r.pk for r in residents
    ), "each resident exactly one certificate: none missing, none twice"


def test_a_finished_batch_is_never_resumed(clock, village, head, residents):
    batch = start_batch(village=village, requested_by=head)
    CertificateBatch.objects.filter(pk=batch.pk).update(status="done", heartbeat_at=timezone.now())
    clock.shift(timedelta(hours=1))
    assert resume_stalled_batches() == 0


def test_each_chunk_of_a_batch_costs_the_same_few_queries(village, head, residents, django_assert_num_queries):
    """Queries grow with the chunks (BATCH_CHUNK residents each), never with the residents."""
    many = [*residents, *(ResidentFactory(village=village) for _ in range(BATCH_CHUNK))]  # two chunks
    small, large = (start_batch(village=village, requested_by=head) for _ in range(2))
    CertificateBatch.objects.filter(pk=small.pk).update(resident_ids=[r.pk for r in residents], total=len(residents))
    CertificateBatch.objects.filter(pk=large.pk).update(resident_ids=[r.pk for r in many], total=len(many))
    with CaptureQueriesContext(connection) as one_chunk:
        run_certificate_batch(batch_id=small.pk)
    with CaptureQueriesContext(connection) as two_chunks:
        run_certificate_batch(batch_id=large.pk)
    per_chunk = len(two_chunks) - len(one_chunk)
    assert per_chunk <= 7, [q["sql"][:60] for q in two_chunks.captured_queries]
    assert len(one_chunk) <= 16, [q["sql"][:60] for q in one_chunk.captured_queries]
