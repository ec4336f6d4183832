"""Every response carries a strict Content-Security-Policy, a permissions policy, no-sniff, a
referrer policy and frame denial; no template holds inline script, inline style or event handlers."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(
    path
    for folder in ("templates", "villages", "points", "handbook", "store", "office", "demo")
    for path in (ROOT / folder).rglob("*.html")
)


def _policy(header: str) -> dict[str, str]:
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.parametrize("signed_in", [False, True])
def test_pages_carry_a_strict_content_security_policy(client, resident, signed_in):
    if signed_in:
        client.force_login(resident.user)
    response = client.get(reverse("points:standing") if signed_in else reverse("login"))
    assert response.status_code == 200
    policy = _policy(response["Content-Security-Policy"])
    assert policy == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "object-src": "'none'",
        "base-uri": "'none'",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
    }
    assert "unsafe" not in response["Content-Security-Policy"]


def test_pages_carry_the_other_security_headers(client):
    response = client.get(reverse("login"))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    permissions = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in permissions


def test_htmx_is_configured_to_need_no_eval_and_no_inline_styles(client):
    html = client.get(reverse("login")).content.decode()
    config = re.search(r'<meta name="htmx-config" content=\'([^\']*)\'', html).group(1)
    assert '"allowEval": false' in config
    assert '"includeIndicatorStyles": false' in config


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_holds_inline_script_style_or_handlers(path):
    text = path.read_text()
    for script in re.findall(r"<script\b[^>]*>", text):
        assert "src=" in script, f"inline <script> in {path}"
    assert not re.search(r"<style\b", text), f"<style> element in {path}"
    assert not re.search(r"\sstyle\s*=", text), f"style attribute in {path}"
    assert not re.search(r"\son[a-z]+\s*=", text), f"event handler attribute in {path}"
    assert not re.search(r"\shx-on", text), f"hx-on in {path}"
    assert "javascript:" not in text, f"javascript: URL in {path}"
