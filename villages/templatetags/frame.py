"""The page frame's fixed addresses (templates/base.html), worked out once per process.

base.html is on every page and names about ten addresses that take no arguments: the stylesheet,
the scripts, signing out, the offline endpoints, the language switch. `{% url %}` and `{% static %}`
resolve each of them on every request (10–25 µs apiece, issue 18); `{% fixed_url %}` and
`{% fixed_static %}` write the same text, kept per process for each script prefix, URLconf and
static root, so a site served under another SCRIPT_NAME (or a test with other settings) gets its own.
"""

from functools import lru_cache

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()


@register.simple_tag
def fixed_url(name: str) -> str:
    """`{% url name %}` for a URL without arguments."""
    return _reversed(name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


@register.simple_tag
def fixed_static(path: str) -> str:
    """`{% static path %}`."""
    return _static(path, get_script_prefix(), settings.STATIC_URL)


@lru_cache(maxsize=128)
def _reversed(name: str, prefix: str, urlconf: str) -> str:
    return reverse(name, urlconf=urlconf)


@lru_cache(maxsize=128)
def _static(path: str, prefix: str, static_url: str) -> str:
    return static(path)
