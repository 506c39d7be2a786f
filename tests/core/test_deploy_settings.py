"""Production settings come from the environment and pass Django's deployment checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "RAPPORT_SECRET_KEY": "k3y-" + "x7Qp2Lw9Zr4Tn8Vb" * 4,
    "RAPPORT_DEBUG": "0",
    "RAPPORT_ALLOWED_HOSTS": "crm.example.com",
    "RAPPORT_SECURE_COOKIES": "1",
    "RAPPORT_SSL_REDIRECT": "1",
    "RAPPORT_HSTS_SECONDS": "31536000",
    "RAPPORT_HSTS_INCLUDE_SUBDOMAINS": "1",
    "RAPPORT_HSTS_PRELOAD": "1",
    "RAPPORT_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
}


def _check_deploy(extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env.update(extra, PYTHONPATH=str(ROOT / "src"), DJANGO_SETTINGS_MODULE="rapport.settings")
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy():
    result = _check_deploy(PRODUCTION)

    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_development_defaults_are_flagged_by_check_deploy():
    result = _check_deploy({})

    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr + result.stdout


def test_the_proxy_header_setting_is_read_from_the_environment():
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env.update(PRODUCTION, PYTHONPATH=str(ROOT / "src"), DJANGO_SETTINGS_MODULE="rapport.settings")
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_PROXY_SSL_HEADER, s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    ).stdout

    assert out.strip() == "('HTTP_X_FORWARDED_PROTO', 'https') 31536000 True"
