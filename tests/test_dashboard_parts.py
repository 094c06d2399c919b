"""The dashboard's parts without a screen: which panel group z shows next, the training session's
signals, and the status lines of a run that ended or is followed."""

from pathlib import Path

from textual.geometry import Size

from seqtui.events import TrainingEnded
from seqtui.records import EpochRecord
from seqtui.store.saved import Checkpoint
from seqtui.tui.training import layout, status_text
from seqtui.tui.training.control import TrainingControl
from seqtui.tui.training.follow import RunFiles


def test_z_cycles_every_group_on_a_big_terminal_and_skips_all_on_a_compact_one():
    """Catches a compact terminal offered "all" (which it cannot show) or a group z never reaches."""
    big, small = layout.is_compact(Size(200, 60)), layout.is_compact(Size(80, 24))
    assert (big, small) == (False, True)
    seen, page = [], "all"
    for _ in range(4):
        page = layout.next_page(page, big)
        seen.append(page)
    assert seen == ["training", "samples", "repl", "all"]
    assert layout.shown_page("all", small) == "training" and layout.next_page("repl", small) == "training"


def test_a_new_session_gets_fresh_signals_and_pause_toggles():
    """Catches a session started with the last one's stop still set (it would stop at its first batch)."""
    control = TrainingControl()
    control.stop_and_quit()
    stop, pause = control.new_session()
    assert not stop.is_set() and not pause.is_set() and control.quitting
    assert control.toggle_pause() is True and pause.is_set()
    assert control.toggle_pause() is False and not pause.is_set()


def test_the_best_epoch_gives_chrf_the_tables_two_decimals_and_a_loss_four():
    """Catches the header and the closing line printing chrF as 5.3480 beside the table's 5.35, or a loss cut
    to two decimals where runs differ in the third."""
    assert TrainingEnded("stopped", 4, 4, "val_chrf", 5.348, "m").best_text() == "best epoch 4 (val_chrf 5.35)"
    assert TrainingEnded("stopped", 4, 3, "val_loss", 0.48041, "m").best_text() == "best epoch 3 (val_loss 0.4804)"
    assert TrainingEnded("stopped", 0, None, "val_chrf", None, "m").best_text() == "no epoch done"


def test_the_status_lines_say_how_a_run_ended_and_where_a_followed_one_is():
    """Catches the stopped run's header losing where the run stands or what c does, or growing past the 76
    columns an 80-column header has for a usual run; or the follow line losing its checkpoint."""
    ended = TrainingEnded("stopped", 3, 2, "val_loss", 1.5, "m")
    assert status_text.ended_state(ended, 10) == \
        "Stopped after epoch 3 of 10 · best epoch 2 (val_loss 1.5000) · c continues"
    assert len(status_text.ended_state(TrainingEnded("stopped", 14, 12, "val_chrf", 44.125, "m"), 100)) <= 76
    assert status_text.ended_state(TrainingEnded("stopped", 0, None, "val_chrf", None, "m"), 10) == \
        "Stopped in epoch 1 of 10 · no epoch done · c continues"
    assert status_text.ended_line(ended).startswith("Stopped after 3 epoch(s)")
    files = RunFiles((EpochRecord(1), EpochRecord(2)), None,
                     Checkpoint(epoch=2, batch=5, path=Path("m/checkpoint/c.keras")), True)
    assert status_text.follow_line(Path("m"), files, 10) == \
        "Following m: 2 of 10 epochs done, batch 5 of the next · trainer running"


def test_a_stop_while_scoring_an_epoch_says_so_and_which_epoch_is_complete():
    """Catches `Stopped after epoch 5 of 100` for a stop during epoch 6's validation (it reads as if an epoch
    was lost), or the line outgrowing an 80-column header."""
    ended = TrainingEnded("stopped", 5, 4, "val_chrf", 44.125, "m")
    state = status_text.ended_state(ended, 100, scoring=6)
    assert state == "Stopped while scoring epoch 6; epoch 5 is the last complete one · c continues"
    assert len(state) <= 78
    assert status_text.ended_state(ended, 100, scoring=None).startswith("Stopped after epoch 5 of 100")
    first = status_text.ended_state(TrainingEnded("stopped", 0, None, "val_chrf", None, "m"), 10, scoring=1)
    assert first == "Stopped while scoring epoch 1; no epoch is complete yet · c continues"


def test_the_header_shows_a_folder_inside_the_current_one_relative_to_it(tmp_path, monkeypatch):
    """Catches the header's `model` field printing the whole absolute path (cut to `…/mod…` at 80 columns)
    for a folder under the current one, or shortening a folder outside it into something ambiguous."""
    from seqtui.tui.training.run_settings import shown_path

    monkeypatch.chdir(tmp_path)
    assert shown_path(tmp_path / "models" / "my-run") == str(Path("models") / "my-run")
    assert shown_path(Path("models/my-run")) == str(Path("models") / "my-run")
    assert shown_path("/srv/elsewhere/run") == "/srv/elsewhere/run"
    assert shown_path(tmp_path) == str(tmp_path)
