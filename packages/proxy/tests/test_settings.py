"""Settings: environment, .env and TOML; OpenDify's names; one clear line for bad values."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from difykit_proxy import AppConfig, SettingsError, load_settings
from difykit_proxy._cli import main

NAMES = [
    "VALID_API_KEYS",
    "DIFY_API_KEYS",
    "DIFY_API_BASE",
    "DIFY_BASE_URL",
    "DIFY_APPS",
    "TIMEOUT",
    "SERVER_HOST",
    "SERVER_PORT",
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting leaks in from the machine; the working directory has no .env."""
    for name in [*NAMES, *(n for n in os.environ if n.startswith("DIFYKIT_PROXY_"))]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_opendify_environment_names_work_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    """VALID_API_KEYS, DIFY_API_KEYS, DIFY_API_BASE, TIMEOUT, SERVER_HOST, SERVER_PORT."""
    monkeypatch.setenv("VALID_API_KEYS", "sk-a, sk-b")
    monkeypatch.setenv("DIFY_API_KEYS", "app-1,app-2")
    monkeypatch.setenv("DIFY_API_BASE", "https://dify.example.com/v1/")
    monkeypatch.setenv("TIMEOUT", "30")
    monkeypatch.setenv("SERVER_HOST", "0.0.0.0")
    monkeypatch.setenv("SERVER_PORT", "5000")
    settings = load_settings()
    assert settings.proxy_keys == ["sk-a", "sk-b"]
    assert settings.dify_api_keys == ["app-1", "app-2"]
    assert settings.dify_base_url == "https://dify.example.com/v1"
    assert (settings.timeout, settings.host, settings.port) == (30.0, "0.0.0.0", 5000)


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    """A .env in the working directory is read, OpenDify's names included."""
    (tmp_path / ".env").write_text("VALID_API_KEYS=sk-a\nDIFY_APPS=support=app-1,sales=app-2\n")
    settings = load_settings()
    assert settings.apps == {"support": AppConfig(key="app-1"), "sales": AppConfig(key="app-2")}


def test_toml_file_with_app_tables_and_environment_winning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A TOML file gives tables per app; the environment wins over it."""
    config = tmp_path / "proxy.toml"
    config.write_text(
        'proxy_keys = ["sk-a"]\nstore = "sqlite"\nthoughts = "inline"\ntimeout = 10\n'
        '[apps.flow]\nkey = "app-9"\nmode = "workflow"\ninput = "topic"\noutput = "summary"\n'
    )
    monkeypatch.setenv("TIMEOUT", "20")
    settings = load_settings(config)
    assert settings.apps["flow"] == AppConfig(
        key="app-9", mode="workflow", input="topic", output="summary"
    )
    assert (settings.store, settings.thoughts, settings.timeout) == ("sqlite", "inline", 20.0)


def test_apps_as_json_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """DIFY_APPS also takes JSON, with tables."""
    monkeypatch.setenv("VALID_API_KEYS", '["sk-a"]')
    monkeypatch.setenv("DIFY_APPS", '{"bot": "app-1", "flow": {"key": "app-2", "output": "x"}}')
    settings = load_settings()
    assert settings.apps["flow"].output == "x" and settings.apps["bot"].key == "app-1"


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"SERVER_PORT": "99999"}, "invalid setting port (DIFYKIT_PROXY_PORT / SERVER_PORT)"),
        ({"TIMEOUT": "soon"}, "invalid setting timeout (DIFYKIT_PROXY_TIMEOUT / TIMEOUT)"),
        ({"DIFY_API_BASE": "dify.local"}, "must be an http(s) URL"),
        ({"DIFYKIT_PROXY_STORE": "redis"}, "invalid setting store"),
        ({"DIFY_APPS": "nokey"}, "expected alias=app-key pairs"),
        ({"VALID_API_KEYS": ""}, "at least one proxy key is required"),
        ({"DIFY_APPS": "", "DIFY_API_KEYS": ""}, "no Dify app is configured"),
    ],
)
def test_bad_settings_are_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], expected: str
) -> None:
    """Each invalid value names the setting and what is wrong, on one line."""
    monkeypatch.setenv("VALID_API_KEYS", "sk-a")
    monkeypatch.setenv("DIFY_APPS", "bot=app-1")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_or_broken_config_file(tmp_path: Path) -> None:
    """A missing TOML file or a syntax error: one line, no traceback."""
    with pytest.raises(SettingsError, match="config file not found"):
        load_settings(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("proxy_keys = [\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(broken)
    assert "\n" not in str(caught.value)


def test_cli_exits_2_with_one_line_on_bad_settings(capsys: pytest.CaptureFixture[str]) -> None:
    """difykit-proxy with no settings: exit code 2 and one line on stderr, no traceback."""
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("difykit-proxy: invalid setting proxy_keys")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_unknown_toml_key_is_named(tmp_path: Path) -> None:
    """A typo in the TOML file (a key that is no setting) stops startup naming it."""
    config = tmp_path / "proxy.toml"
    config.write_text('proxy_key = ["sk-a"]\n[apps.bot]\nkey = "app-1"\n')
    with pytest.raises(SettingsError, match="unknown setting 'proxy_key'"):
        load_settings(config)
