"""Production settings are strict: the deploy check is clean, and a bad or missing value stops
start-up with a message that says what to fix."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent

PRODUCTION = {
    "PRODUCTION": "1",
    "SECRET_KEY": "x7!k2p" * 10,
    "ALLOWED_HOSTS": "points.example.org",
    "DATABASE_URL": "postgres://village_app@127.0.0.1:5432/village_points",
    "DATABASE_OWNER_URL": "postgres://village@127.0.0.1:5432/village_points",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "SITE_URL": "https://points.example.org",
    "LEDGER_CHAIN_KEYS": "2026a:q4R!z8xK2mP9vL7tW3nB5cY1hJ6dF0gS",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE (same worker process) must not reach the check.
    inherited = set(PRODUCTION) | {
        "DEBUG",
        "VAR_DIR",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "DATABASE_AS_OWNER",
        "DATABASE_APP_ROLE",
    }
    clean = {k: v for k, v in os.environ.items() if k not in inherited}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True
    )


def _collected(var_dir: Path) -> Path:
    """What collectstatic leaves behind that the start-up check looks for (collecting takes seconds)."""
    (var_dir / "static").mkdir(exist_ok=True)
    (var_dir / "static" / "staticfiles.json").write_text('{"paths": {}, "version": "1.1"}')
    return var_dir


def test_the_deploy_check_is_clean_under_production_settings(tmp_path):
    _collected(tmp_path)
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION, "VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {**PRODUCTION, "VAR_DIR": str(tmp_path)}
    del env["SECRET_KEY"]
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when PRODUCTION=1" in result.stderr


def test_production_refuses_to_start_without_a_database_url(tmp_path):
    env = {**PRODUCTION, "VAR_DIR": str(tmp_path)}
    del env["DATABASE_URL"]
    result = _manage("check", env=env)
    assert "DATABASE_URL must point at PostgreSQL" in result.stderr


def test_production_refuses_to_start_without_a_redis_url(tmp_path):
    env = {**PRODUCTION, "VAR_DIR": str(tmp_path)}
    del env["REDIS_URL"]
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "REDIS_URL must point at Redis when PRODUCTION=1" in result.stderr


def test_a_malformed_value_names_the_variable(tmp_path):
    result = _manage("check", env={"DEBUG": "maybe", "VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_the_embedded_default_needs_no_variables(tmp_path):
    result = _manage("check", env={"VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "secret_key").exists()


def test_production_refuses_to_start_with_debug_on(tmp_path):
    result = _manage("check", env={**PRODUCTION, "DEBUG": "1", "VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "DEBUG must be off when PRODUCTION=1" in result.stderr


@pytest.mark.parametrize("key", ["short", "a" * 60, "django-insecure-" + "k2!x9" * 10])
def test_production_refuses_to_start_with_a_weak_secret_key(tmp_path, key):
    result = _manage("check", env={**PRODUCTION, "SECRET_KEY": key, "VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "SECRET_KEY is weak" in result.stderr


def test_production_refuses_to_start_before_static_files_are_collected(tmp_path):
    env = {**PRODUCTION, "VAR_DIR": str(tmp_path)}
    check = _manage("check", "--deploy", env=env)
    assert check.returncode != 0 and "collectstatic" in check.stderr
    load = [sys.executable, "-c", "import config.wsgi"]
    clean = {k: v for k, v in os.environ.items() if k not in {*PRODUCTION, "DEBUG", "VAR_DIR"}}
    server = subprocess.run(load, cwd=ROOT, env={**clean, **env}, capture_output=True, text=True)
    assert server.returncode != 0 and "run `python manage.py collectstatic --noinput`" in server.stderr
    _collected(tmp_path)
    assert subprocess.run(load, cwd=ROOT, env={**clean, **env}, capture_output=True, text=True).returncode == 0


def test_production_refuses_to_start_without_a_ledger_chain_key(tmp_path):
    env = {**PRODUCTION, "VAR_DIR": str(tmp_path)}
    del env["LEDGER_CHAIN_KEYS"]
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "LEDGER_CHAIN_KEYS must be set when PRODUCTION=1" in result.stderr


@pytest.mark.parametrize(
    ("keys", "problem"),
    [
        ("2026a:short", "the secret of key '2026a' is weak"),
        ("2026a:" + "ab" * 20, "the secret of key '2026a' is weak"),
        ("no secret", "must be comma-separated id:secret pairs"),
        ("a:" + "q4R!z8x7Yk" * 4 + ",a:" + "Zt6$w1pL0m" * 4, "names the key 'a' twice"),
    ],
)
def test_production_refuses_a_weak_or_malformed_ledger_chain_key(tmp_path, keys, problem):
    result = _manage("check", env={**PRODUCTION, "LEDGER_CHAIN_KEYS": keys, "VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert problem in result.stderr


def test_the_deploy_check_warns_when_the_app_would_run_as_the_tables_owner(tmp_path):
    _collected(tmp_path)
    env = {**PRODUCTION, "VAR_DIR": str(tmp_path)}
    del env["DATABASE_OWNER_URL"]
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "config.W002" in result.stderr + result.stdout
