"""The page frame's fixed addresses (villages/templatetags/frame.py) are what {% url %} and {% static %} write."""

import pytest
from django.template import engines
from django.urls import set_script_prefix

NAMES = ["logout", "set_language", "office:home", "points:standing", "points:offline_data", "villages:switch"]
PATHS = ["css/site.css", "js/offline.js"]


def render(source: str) -> str:
    return engines["django"].from_string(source).render({})


@pytest.fixture
def prefix():
    yield set_script_prefix
    set_script_prefix("/")


@pytest.mark.parametrize("script_prefix", ["/", "/village-points/"])
def test_it_writes_what_url_and_static_write_under_any_script_prefix(prefix, script_prefix):
    prefix(script_prefix)
    for name in NAMES:
        assert render(f"{{% load frame %}}{{% fixed_url '{name}' %}}") == render(f"{{% url '{name}' %}}")
    for path in PATHS:
        assert render(f"{{% load frame %}}{{% fixed_static '{path}' %}}") == render(
            f"{{% load static %}}{{% static '{path}' %}}"
        )
    assert render("{% load frame %}{% fixed_url 'logout' %}").startswith(script_prefix)


def test_it_writes_the_static_address_of_the_settings_in_force(settings):
    settings.STATIC_URL = "/elsewhere/"
    assert render("{% load frame %}{% fixed_static 'css/site.css' %}") == "/elsewhere/css/site.css"
