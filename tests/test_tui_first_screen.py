"""The dashboard's first screen on the shipped sample: what it offers (d, i, t) and that d and i do it."""

from __future__ import annotations

import shutil
from pathlib import Path

from tui_fakes import scripted_trainer, tiny_config
from tui_pilot import until

from seqtui.data import fetch
from seqtui.store import catalog
from seqtui.tui.app import make_app
from seqtui.tui.training.epoch_progress import EpochProgress

SIZE = (120, 40)
ROOT = Path(__file__).resolve().parents[1]


def sample_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "training_files"
    folder.mkdir()
    shutil.copy(ROOT / "training_files" / "en-fr.tsv", folder / "en-fr.tsv")
    return folder


def progress_text(app) -> str:
    return str(app.screen.query_one(EpochProgress).render())


async def test_on_the_sample_alone_the_first_screen_offers_the_corpus_and_the_shipped_model(tmp_path: Path) -> None:
    app = make_app(tiny_config(train_dir=sample_dir(tmp_path), model_dir=tmp_path / "m"))
    async with app.run_test(size=SIZE):
        said = " ".join(progress_text(app).split())
        assert "holds only the 947-pair sample" in said
        assert "d downloads the Tatoeba corpus" in said and "i fine-tunes the shipped en-fr model" in said


async def test_with_another_corpus_the_first_screen_just_says_how_to_train(tmp_path: Path, tiny_corpus) -> None:
    app = make_app(tiny_config(train_dir=tiny_corpus, model_dir=tmp_path / "m"))
    async with app.run_test(size=SIZE):
        assert "947-pair sample" not in progress_text(app) and "Press t to start training" in progress_text(app)


async def test_d_downloads_into_train_dir_with_a_progress_bar(tmp_path: Path, monkeypatch) -> None:
    folder = sample_dir(tmp_path)
    seen: list[str] = []

    def fake_fetch(dest, pair="fra-eng", url=None, force=False, progress=None, **kw):
        for done in (1 << 20, 2 << 20):
            progress(done, 4 << 20)
        target = Path(dest) / "fra.txt"
        target.write_text("Go.\tVa !\n")
        return fetch.Fetched(target, "https://example.invalid/fra-eng.zip", "fra.txt", 4 << 20, 9)

    monkeypatch.setattr(fetch, "fetch", fake_fetch)
    app = make_app(tiny_config(train_dir=folder, model_dir=tmp_path / "m"))
    async with app.run_test(size=SIZE) as pilot:
        progress = app.screen.query_one(EpochProgress)
        real_show = progress.show_download
        progress.show_download = lambda done, total: (seen.append(f"{done}/{total}"), real_show(done, total))
        await pilot.press("d")
        await until(pilot, lambda: "Downloaded" in progress_text(app), what="the download's end")
        assert "fra.txt: 9 bytes unpacked into" in " ".join(progress_text(app).split())
    assert seen and seen[-1] == f"{2 << 20}/{4 << 20}"  # the bar was drawn from the real progress callback
    assert (folder / "fra.txt").is_file()


async def test_i_starts_a_new_run_from_the_shipped_model(tmp_path: Path) -> None:
    calls: list[dict] = []
    scripted = scripted_trainer(epochs=1)

    def trainer(cfg, listener, **kwargs):
        calls.append(kwargs)
        return scripted(cfg, listener, **kwargs)

    app = make_app(tiny_config(model_dir=tmp_path / "m"), trainer=trainer)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert calls and calls[0].get("init_from") == catalog.shipped()[catalog.DEFAULT]
    assert "resume" not in calls[0]  # a new run from the model, never a resume of whatever is there


async def test_the_header_counts_the_pairs_the_corpus_has_not_num_samples(tmp_path: Path) -> None:
    """num_samples 10000 on the 947-pair sample: the header said "samples 10000"."""
    from seqtui.tui.training.run_settings import RunSettings

    corpus = sample_dir(tmp_path)
    app = make_app(tiny_config(train_dir=corpus, model_dir=tmp_path / "m", num_samples=10000))
    async with app.run_test(size=SIZE):
        header = str(app.screen.query_one(RunSettings).render())
        assert "pairs 758 train + 189 val  model" in header and "10000" not in header and "10,000" not in header
    app = make_app(tiny_config(train_dir=corpus, model_dir=tmp_path / "m", num_samples=100))
    async with app.run_test(size=SIZE):
        assert "pairs 80 train + 20 val (num_samples 100)" in str(app.screen.query_one(RunSettings).render())
