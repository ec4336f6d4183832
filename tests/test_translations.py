"""English and Simplified Chinese ship complete: every user-facing string has a Chinese
translation, and no string in the code is missing from the catalogue."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ZH_PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
SOURCES = ["config", "villages", "handbook", "points", "store", "office", "demo", "templates", "manage.py"]


def _msgids(po_file: Path) -> set[str]:
    out = subprocess.run(
        ["msgcat", "--no-wrap", "--sort-output", str(po_file)], capture_output=True, text=True, check=True
    ).stdout
    return {line[len("msgid ") :] for line in out.splitlines() if line.startswith("msgid ")} - {'""'}


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="gettext is installed by `make test`")
def test_it_has_a_chinese_translation_for_every_string():
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(ZH_PO)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="gettext is installed by `make test`")
def test_it_has_every_string_of_the_code_in_the_catalogue(tmp_path):
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    (tmp_path / "locale").mkdir()
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-location"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    extracted = _msgids(tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    missing = extracted - _msgids(ZH_PO)
    assert not missing, f"run `make messages` and translate: {sorted(missing)[:10]}"
