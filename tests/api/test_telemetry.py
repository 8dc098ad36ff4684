"""FastAPI's own OpenTelemetry hooks are off unless `HURONG_OPENTELEMETRY` turns them on: the service's metrics are
Prometheus's, and the hooks look up three global providers on every request."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.main import create_app
from api.settings import Settings


@pytest.mark.parametrize("enabled", [False, True])
def test_the_setting_switches_fastapis_telemetry(
    enabled: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HURONG_OPENTELEMETRY", "true" if enabled else "false")
    settings = Settings(home=tmp_path)
    assert settings.opentelemetry is enabled
    config = create_app(settings)._telemetry  # FastAPI keeps the configuration it was given here
    assert [config["tracing"], config["metrics"], config["logs"]] == [enabled] * 3


def test_the_setting_refuses_what_is_not_a_boolean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HURONG_OPENTELEMETRY", "sometimes")
    with pytest.raises(ValueError, match="opentelemetry"):
        Settings(home=tmp_path)
