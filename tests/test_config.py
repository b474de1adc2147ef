"""Settings read from the environment: defaults, and values refused at start."""

from __future__ import annotations

import pytest

from cms import config


def _settings(monkeypatch, tmp_path, **env: str) -> dict:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return config.from_environment(str(tmp_path))


@pytest.mark.parametrize(
    ("value", "read"),
    [
        ("", None),
        ("https://cms.example.com", "https://cms.example.com"),
        ("https://cms.example.com/", "https://cms.example.com"),
        ("http://127.0.0.1:5000/newsroom/", "http://127.0.0.1:5000/newsroom"),
    ],
)
def test_the_public_url_is_read_without_its_trailing_slash(monkeypatch, tmp_path, value, read):
    assert _settings(monkeypatch, tmp_path, CMS_PUBLIC_URL=value)["CMS_PUBLIC_URL"] == read


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CMS_PUBLIC_URL", "cms.example.com"),
        ("CMS_PUBLIC_URL", "ftp://cms.example.com"),
        ("CMS_PUBLIC_URL", "https://user:pw@cms.example.com"),
        ("CMS_PUBLIC_URL", "https://cms.example.com/?a=1"),
        ("CMS_PUBLIC_URL", "https://cms.example.com/#top"),
        ("CMS_DB_CONNECT_TIMEOUT", "0"),
        ("CMS_DB_STATEMENT_TIMEOUT", "-1"),
        ("CMS_HEALTH_PROBE_SECONDS", "-1"),
        ("CMS_LOGIN_LIMIT_PER_ACCOUNT", "lots"),
        ("CMS_LOGIN_LIMIT_PER_ADDRESS", "10 per fortnight"),
        ("CMS_PROXY_HOPS", "-1"),
    ],
)
def test_values_that_cannot_work_stop_the_process_at_start(monkeypatch, tmp_path, name, value):
    with pytest.raises(ValueError, match=name):
        _settings(monkeypatch, tmp_path, **{name: value})


@pytest.mark.parametrize(
    ("statement_timeout", "connect_args"),
    [
        ("1.5", {"connect_timeout": 3, "options": "-c jit=off -c statement_timeout=1500"}),
        ("0", {"connect_timeout": 3, "options": "-c jit=off"}),
    ],
)
def test_postgresql_connections_are_bounded_in_time(
    monkeypatch, tmp_path, statement_timeout, connect_args
):
    settings = _settings(
        monkeypatch,
        tmp_path,
        CMS_DATABASE_URL="postgresql://cms@db.internal/cms",
        CMS_DB_CONNECT_TIMEOUT="3",
        CMS_DB_STATEMENT_TIMEOUT=statement_timeout,
    )

    options = settings["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["pool_timeout"] == 3
    assert options["connect_args"] == connect_args
