"""One builder of decode settings from the config: the CLI's commands, the REPL and the dashboard decode
with the same settings for the same config and flags."""

import dataclasses

import pytest
from typer.testing import CliRunner

from seqtui import config
from seqtui.cli import app as cli_app
from seqtui.decode.settings import Asked, Settings, settings_for
from seqtui.store import catalog
from seqtui.tui.app import make_app

DECODING = {"beam": 3, "temperature": 0.5, "max_output_len": 77, "length_penalty": 0.6}


def test_the_config_decoding_keys_make_the_settings(tmp_path):
    """Catches a builder that drops a config key (each value here differs from its default)."""
    cfg = config.load(None, {"model_dir": tmp_path, **DECODING})
    assert settings_for(cfg) == Settings(beam=3, temperature=0.5, max_len=77, length_penalty=0.6)


def test_what_is_asked_overrides_the_config_and_unset_sizes_keep_it(tmp_path):
    """Catches an override that is ignored, or a 0 temperature (greedy, asked) taken as 'not asked'."""
    cfg = config.load(None, {"model_dir": tmp_path, **DECODING})
    asked = Asked(beam=5, temperature=0.0, seed=7, nbest=2, length_penalty=0.0, prefix="Je")
    assert settings_for(cfg, asked) == Settings(5, 0.0, 7, 77, 2, 0.0, "Je")
    assert settings_for(cfg, Asked(beam=0, max_len=0)) == settings_for(cfg)


def test_the_dashboard_decodes_with_the_builders_settings(tmp_path):
    """Catches the TUI building its own settings from the config again."""
    cfg = config.load(None, {"model_dir": tmp_path, **DECODING})
    assert make_app(cfg).settings == settings_for(cfg)


@pytest.mark.parametrize("flags", [["--nbest", "2", "--temperature", "0.5"], ["--nbest", "2"]])
def test_nbest_with_sampling_from_a_flag_or_the_config_is_a_usage_error(tmp_path, flags):
    """Catches the CLI's check reading only the flag and missing the config's temperature."""
    toml = tmp_path / "sequencer.toml"
    toml.write_text("[decoding]\ntemperature = 0.5\n", encoding="utf-8")
    result = CliRunner().invoke(cli_app, ["translate", "-c", str(toml), "--model", catalog.DEFAULT, *flags, "Go."])
    assert result.exit_code == 2 and "does not combine with sampling" in result.output


def test_every_setting_can_be_asked_for():
    """Catches a field added to Settings that the builder would not set."""
    assert [f.name for f in dataclasses.fields(Settings)] == [f.name for f in dataclasses.fields(Asked)]
