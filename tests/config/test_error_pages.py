"""Error pages answer in the site's frame and the visitor's language, with a way back home."""

import pytest
from django.test import Client, RequestFactory
from django.urls import get_resolver, reverse
from django.utils import translation


@pytest.mark.django_db
def test_it_answers_a_missing_page_in_chinese_in_the_frame(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 404
    page = response.content.decode()
    assert '<header class="frame">' in page
    assert "找不到这个页面" in page
    assert f'href="{reverse("office:home")}"' in page


def test_it_answers_a_forbidden_page_in_the_frame(client, head):
    client.force_login(head)
    response = client.get(reverse("handbook:editor_draft"))
    assert response.status_code == 403
    assert '<header class="frame">' in response.content.decode()
    assert "Not allowed" in response.content.decode()


def test_it_explains_an_expired_form_instead_of_django_s_csrf_page(head):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "head", "password": "x"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "The form had expired" in page
    assert '<header class="frame">' in page


def test_the_server_error_page_renders_without_the_database():
    # No `db` fixture here: pytest-django fails the test if the handler touches the database.
    request = RequestFactory().get("/")
    with translation.override("zh-hans"):
        response = get_resolver().resolve_error_handler(500)(request)
    assert response.status_code == 500
    page = response.content.decode()
    assert "出了点问题" in page
    assert '<header class="frame">' in page
    assert "/accounts/logout/" not in page


@pytest.mark.django_db
def test_it_answers_a_bad_request_in_the_frame(client):
    response = client.get("/", HTTP_HOST="not-this-site.example")  # not in ALLOWED_HOSTS
    assert response.status_code == 400
    page = response.content.decode()
    assert '<header class="frame">' in page and "Something was wrong with the request" in page
