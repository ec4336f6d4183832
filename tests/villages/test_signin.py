"""Nothing lost when the session ended, and "keep me signed in on this phone" (issue 15)."""

import uuid

import pytest
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from points.models import Entry
from villages.services import reset_password

HTMX = {"HTTP_HX_REQUEST": "true"}


def end_the_session(client) -> None:
    """What 12 hours without use do: the server forgets the session; the phone keeps its cookie."""
    Session.objects.all().delete()


def entry_form(resident, item, key, **extra):
    data = {
        "resident": resident.pk,
        "item": item.pk,
        "occurred_on": resident.village.today().isoformat(),
        "idempotency_key": key,
        "note": "帮五保户挑水",
        "witness": "",
    }
    data.update(extra)
    return data


def sign_in(client, username="scorer", **extra):
    return client.post(reverse("login"), {"username": username, "password": "village-demo", **extra})


@pytest.fixture
def scorer_client(client, scorer):
    sign_in(client)
    return client


def test_a_plain_post_from_an_ended_session_is_kept_and_recorded_once_after_sign_in(scorer_client, resident, deed):
    key = str(uuid.uuid4())
    end_the_session(scorer_client)
    response = scorer_client.post(reverse("points:record"), entry_form(resident, deed, key))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not Entry.objects.exists()
    assert "What you entered is kept" in scorer_client.get(response["Location"]).content.decode()

    signed_in = sign_in(scorer_client, next="/record/?resume=1")
    page = scorer_client.get(signed_in["Location"]).content.decode()
    assert "帮五保户挑水" in page  # the typed note is kept
    assert key in page  # with the original idempotency key
    assert "nothing was recorded yet" in page
    scorer_client.post(reverse("points:record"), entry_form(resident, deed, key))
    scorer_client.post(reverse("points:record"), entry_form(resident, deed, key))  # a retry
    entry = Entry.objects.get()
    assert (str(entry.idempotency_key), entry.note) == (key, "帮五保户挑水")
    # The kept form is shown once, not again on the next visit.
    assert "nothing was recorded yet" not in scorer_client.get("/record/?resume=1").content.decode()


def test_an_htmx_post_from_an_ended_session_never_gets_the_sign_in_page_as_a_fragment(scorer_client, resident, deed):
    key = str(uuid.uuid4())
    end_the_session(scorer_client)
    response = scorer_client.post(reverse("points:record"), entry_form(resident, deed, key), **HTMX)
    assert response.status_code == 401
    assert response["HX-Redirect"] == "/accounts/login/?next=/record/%3Fresume%3D1"
    assert b"<form" not in response.content
    sign_in(scorer_client)
    page = scorer_client.get("/record/?resume=1").content.decode()
    assert "帮五保户挑水" in page and key in page


def test_an_htmx_search_from_an_ended_session_sends_to_sign_in_and_back_to_the_page(scorer_client, resident):
    end_the_session(scorer_client)
    here = f"http://testserver/record/?resident={resident.pk}"
    response = scorer_client.get(
        reverse("points:record_items"), {"resident": resident.pk, "iq": "1"}, HTTP_HX_CURRENT_URL=here, **HTMX
    )
    assert response.status_code == 401
    assert response["HX-Redirect"] == f"/accounts/login/?next=/record/%3Fresident%3D{resident.pk}"


def test_a_group_posted_from_an_ended_session_is_kept_with_its_residents(scorer_client, resident, other_resident, deed):
    key = str(uuid.uuid4())
    end_the_session(scorer_client)
    data = {
        "item": deed.pk,
        "idempotency_key": key,
        "occurred_on": resident.village.today().isoformat(),
        "note": "清扫村道",
        "r": [resident.pk, other_resident.pk],
    }
    scorer_client.post(reverse("points:record_group"), data)
    assert not Entry.objects.exists()
    sign_in(scorer_client)
    page = scorer_client.get(reverse("points:record_group") + "?resume=1")
    assert [r.pk for r in page.context["chosen"]] == [resident.pk, other_resident.pk]
    assert key in page.content.decode() and "清扫村道" in page.content.decode()
    scorer_client.post(reverse("points:record_group"), data)
    assert Entry.objects.count() == 2


def test_keep_me_signed_in_lasts_30_days_from_the_last_use(client, scorer, settings):
    sign_in(client, remember="on")
    assert client.session.get_expiry_age() == 30 * 24 * 60 * 60
    client.get(reverse("points:record"))
    assert client.cookies["sessionid"]["max-age"] == 30 * 24 * 60 * 60  # renewed on every use


def test_without_keep_me_signed_in_the_session_ends_after_the_usual_hours(client, scorer, settings):
    sign_in(client)
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


def test_signing_out_ends_a_kept_sign_in(client, scorer):
    sign_in(client, remember="on")
    client.post(reverse("logout"))
    assert client.get(reverse("points:record")).status_code == 302


def test_an_administrator_resetting_the_password_ends_a_kept_sign_in(client, scorer, admin, village):
    sign_in(client, remember="on")
    assert client.get(reverse("points:record")).status_code == 200
    reset_password(user=scorer, village=village, actor=admin)
    assert client.get(reverse("points:record")).status_code == 302


def test_a_photo_chosen_before_the_session_ended_is_asked_for_again(scorer_client, resident, deed):
    end_the_session(scorer_client)
    photo = SimpleUploadedFile("tree.jpg", b"not looked at", content_type="image/jpeg")
    scorer_client.post(reverse("points:record"), {**entry_form(resident, deed, str(uuid.uuid4())), "photo": photo})
    sign_in(scorer_client)
    page = scorer_client.get("/record/?resume=1").content.decode()
    assert "Choose the photo again." in page and "帮五保户挑水" in page
