"""The REPL pane: an input line, a streaming history, and decoding settings changed with `:commands`.

Up and Down recall the lines typed before (as a shell does); PageUp and PageDown (and the mouse wheel)
scroll the history, which follows new output again once scrolled back to its end; `:q` quits.

Translations run in the app's thread workers (`stream_translation`), which post one message per
decoded character with its probability, so the history grows character by character, each coloured
by how sure the model was, while the UI and training carry on. The pane asks for the work with
request messages that bubble up to the app, which owns the workers.
"""

from __future__ import annotations

import dataclasses
import itertools

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message_pump import MessagePump
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from seqtui.data.vocab import describe_unknown
from seqtui.decode.decoding import Result, Settings, split_prefix
from seqtui.decode.heatmap import attention_map, confidence_legend
from seqtui.decode.limits import cut_input
from seqtui.errors import SeqtuiError
from seqtui.safe_text import escape_controls
from seqtui.store import catalog
from seqtui.tui.messages import (
    ModelReady,
    ModelRequest,
    QuitRequest,
    TranslateRequest,
    TranslationBegan,
    TranslationChar,
    TranslationEnded,
    TranslationFailed,
    TranslationHint,
)
from seqtui.tui.repl import repl_commands
from seqtui.tui.repl.engines import EngineSource
from seqtui.tui.repl.transcript import Transcript

LIVE_DELAY = 0.25  # seconds of quiet typing before translate-as-you-type starts


def stream_translation(target: MessagePump, engines: EngineSource, entry: int, text: str,
                       settings: Settings) -> None:
    """Decode `text`, posting one TranslationChar per character to `target`. Runs in a thread worker."""
    worker = get_current_worker()
    try:
        engine, label = engines.get()
    except SeqtuiError as e:
        target.post_message(TranslationFailed(entry, text, str(e)))
        return
    try:
        stream = engine.stream(text, settings)
    except SeqtuiError as e:  # a prefix the model cannot write
        target.post_message(TranslationFailed(entry, text, str(e)))
        return
    target.post_message(TranslationBegan(entry, text, engine.unknown(text), label))
    for piece in stream:
        if worker.is_cancelled:  # a newer translation replaced this one
            break
        if piece.char:
            target.post_message(TranslationChar(entry, piece.char, piece.prob))
    cut = worker.is_cancelled
    target.post_message(TranslationEnded(entry, cut, None if cut else stream.result))
    if entry > 0 and not cut:  # after the translation: the identifier's first call reads its model
        line = language_hint(text, getattr(engine, "language", "en"))
        if line:
            target.post_message(TranslationHint(entry, line))


def language_hint(text: str, source: str) -> str:
    """"this looks like French: :model fr-en" when `text` looks written in another shipped model's language
    than `source`, the language of the model that answered (see `seqtui.decode.text.hint`); else ''."""
    from seqtui.decode import text as texts

    try:
        found = texts.hint(text, source, texts.model_languages(list(catalog.shipped())))
    except SeqtuiError:
        return ""
    return f"this looks like {found[0]}: :model {found[1]}" if found else ""


class ReplPane(Vertical):
    """Type English, watch French stream back, one character at a time."""

    BINDINGS = [
        Binding("up", "recall(-1)", "Previous line", show=False),
        Binding("down", "recall(1)", "Next line", show=False),
        Binding("pageup", "scroll_history(-1)", "Scroll up", show=False),
        Binding("pagedown", "scroll_history(1)", "Scroll down", show=False),
    ]

    def __init__(self, engines: EngineSource, settings: Settings, *, intro: str = "",
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.engines = engines
        self.state = repl_commands.ReplState(settings)
        self.intro = intro
        self.engine_label = ""
        self._ids = itertools.count(1)
        self._preview_entry = 0
        self._preview_text = ""
        self._notes: dict[int, str] = {}
        self._sources: dict[int, str] = {}
        self.last: tuple[str, Result] | None = None  # the latest finished translation, for :align
        self._live_timer: Timer | None = None
        self.lines: list[str] = []  # what was submitted, oldest first, for Up and Down
        self._recalled: int | None = None  # the index shown by Up/Down, None while editing a new line
        self._draft = ""  # the line being typed when Up was first pressed

    def compose(self) -> ComposeResult:
        yield Transcript(id="transcript", shade=self.state.shade)
        yield Static(id="preview")
        yield Input(placeholder="English sentence, then Enter  (:help for commands, :q quits)", id="repl-input",
                    compact=True)
        yield Static(id="repl-status")

    def on_mount(self) -> None:
        self.border_title = "REPL"
        if self.intro:
            self.query_one(Transcript).note(self.intro)
        self._show_status()
        self.post_message(ModelRequest(self))  # says which model answers, before the first line

    @property
    def input(self) -> Input:
        return self.query_one("#repl-input", Input)

    # -- user input --------------------------------------------------------------------------------

    @on(Input.Submitted, "#repl-input")
    def submitted(self, event: Input.Submitted) -> None:
        line = cut_input(event.value.strip()).text  # a paste of a whole book is read no further
        self.input.value = ""
        self._stop_preview()
        if not line:
            return
        if not self.lines or self.lines[-1] != line:
            self.lines.append(line)
        self._recalled = None
        self.query_one(Transcript).scroll_end(animate=False)  # a new line shows its answer, wherever one was
        if repl_commands.is_command(line):
            self.run_command(line)
        else:
            entry = next(self._ids)
            sentence, prefix = split_prefix(repl_commands.sentence_of(line))
            self.query_one(Transcript).begin(entry, line)  # echoed now, not after a thread hop
            self._sources[entry] = sentence
            settings = dataclasses.replace(self.state.settings, prefix=prefix)
            self.post_message(TranslateRequest(self, entry, sentence, settings))

    @on(Input.Changed, "#repl-input")
    def changed(self, event: Input.Changed) -> None:
        if self._live_timer is not None:
            self._live_timer.stop()
        text = event.value.strip()
        if not self.state.live or not text or repl_commands.is_command(text):
            self._stop_preview()
            return
        self._live_timer = self.set_timer(LIVE_DELAY, lambda: self._start_preview(text))

    def action_recall(self, step: int) -> None:
        """Up (-1) and Down (+1): the earlier lines typed here, then back to the line being typed."""
        if not self.lines:
            return
        if self._recalled is None:
            if step > 0:
                return
            self._draft, index = self.input.value, len(self.lines) - 1
        else:
            index = self._recalled + step
        if index >= len(self.lines):
            self._recalled, text = None, self._draft
        else:
            self._recalled = max(0, index)
            text = self.lines[self._recalled]
        with self.input.prevent(Input.Changed):  # a recalled line is not typing: no live preview
            self.input.value = text
        self.input.cursor_position = len(text)

    def action_scroll_history(self, pages: int) -> None:
        """PageUp and PageDown: a page of the history (scrolling back to its end follows new output again)."""
        transcript = self.query_one(Transcript)
        if pages < 0:
            transcript.scroll_page_up(animate=False)
        else:
            transcript.scroll_page_down(animate=False)

    def run_command(self, line: str) -> None:
        """Apply a `:command` (see `repl_commands`) and show its feedback in the history."""
        outcome = repl_commands.run(line, self.state)
        if outcome.quit:
            self.post_message(QuitRequest())
            return
        transcript = self.query_one(Transcript)
        if outcome.clear:
            transcript.clear()
        if outcome.feedback:
            transcript.note(outcome.feedback, "red" if outcome.error else "dim")
        if outcome.align:
            self._show_attention()
        if outcome.model:
            self._switch_model(outcome.model)
        if outcome.list_models:
            known = ", ".join(catalog.names(self.engines.model_dir)) or "none yet"
            now = f"; now answering: {self.engine_label}" if self.engine_label else ""
            transcript.note(f"Models: {known}, or any model folder. :model NAME chooses one{now}.")
        if outcome.state.shade != self.state.shade:
            transcript.set_shade(outcome.state.shade)
        self.state = outcome.state
        self._show_status()

    def _switch_model(self, name: str) -> None:
        transcript = self.query_one(Transcript)
        try:
            choice = self.engines.switch(name)
        except SeqtuiError as e:
            transcript.note(str(e), "red")
            return
        self.engine_label = choice.describe()
        self._show_status()
        transcript.note(f"Now answering: {choice.describe()}.")

    def _show_attention(self) -> None:
        transcript = self.query_one(Transcript)
        if self.last is None:
            transcript.note("Translate a sentence first; :align then draws where its characters looked.", "yellow")
            return
        _, result = self.last
        width = max(20, transcript.content_size.width - 2)
        shown = Text("attention of the last translation: source across, output down\n", style="dim")
        for k, part in enumerate([p.result for p in result.sentences] or [result]):  # each sentence's own
            shown.append("\n" if k else "").append(attention_map(part.source, part.best, width))
        transcript.note(shown)

    def _start_preview(self, text: str) -> None:
        entry = self._preview_entry = -next(self._ids)  # previews count down, history entries up
        self._preview_text = ""
        sentence, prefix = split_prefix(repl_commands.sentence_of(text))
        settings = dataclasses.replace(self.state.settings, prefix=prefix)
        self.post_message(TranslateRequest(self, entry, sentence, settings, preview=True,
                                           wanted=lambda: self._preview_entry == entry))

    def _stop_preview(self) -> None:
        if self._live_timer is not None:
            self._live_timer.stop()
        self.app.workers.cancel_group(self.app, "preview")
        self._preview_entry = 0
        self.query_one("#preview", Static).update("")

    # -- worker messages ---------------------------------------------------------------------------

    @on(ModelReady)
    def model_ready(self, message: ModelReady) -> None:
        transcript = self.query_one(Transcript)
        if message.problem:
            transcript.note(f"Nothing to translate with yet: {message.problem}.", "yellow")
            return
        self.engine_label = message.label
        self._show_status()
        why = message.passed_over
        passed_over = f" ({why[:1].upper()}{why[1:]}.)" if why else ""
        transcript.note(f"Ready: {message.label}.{passed_over} Type an English sentence and press Enter; :help "
                        "lists the commands. ↑↓ recall earlier lines, PgUp/PgDn scroll this history, :q quits.")

    @on(TranslationBegan)
    def began(self, message: TranslationBegan) -> None:
        self.engine_label = message.engine_label
        self._show_status()
        if message.entry < 0:
            if message.entry == self._preview_entry:
                self._preview_text = ""
                self._show_preview(describe_unknown(message.unknown))
            return
        self._notes[message.entry] = f"{message.engine_label} · {self.state.describe()}"
        self.query_one(Transcript).flag(message.entry, message.unknown)

    @on(TranslationChar)
    def char(self, message: TranslationChar) -> None:
        if message.entry > 0:
            self.query_one(Transcript).add_char(message.entry, message.char, message.prob)
        elif message.entry == self._preview_entry:
            self._preview_text += message.char
            self._show_preview()

    @on(TranslationEnded)
    def ended(self, message: TranslationEnded) -> None:
        if message.entry > 0:
            note = self._notes.pop(message.entry, "")
            source = self._sources.pop(message.entry, "")
            transcript = self.query_one(Transcript)
            if not transcript.streaming(message.entry):  # a newer line cut it short before its worker knew
                return
            if message.cut_short:
                note += " · cut short"
            elif message.result is not None and message.result.best.probs:
                best = message.result.best
                note += f" · log-prob {best.score:.2f}"
                self.last = (source, message.result)
                if len(message.result.nbest) > 1:
                    transcript.show_nbest(message.entry, message.result.nbest)
                elif self.state.settings.nbest > 1 and len(message.result.sentences) > 1:
                    note += " · n-best lists are of one sentence: each sentence's best is shown"
            if message.result is not None and message.result.cut:
                note += (f" · only the first {message.result.read:,} of {message.result.given:,} characters "
                         "translated: all this model reads of a sentence")
            transcript.end(message.entry, note)

    @on(TranslationHint)
    def hinted(self, message: TranslationHint) -> None:
        self.query_one(Transcript).note(message.line, "yellow")

    @on(TranslationFailed)
    def failed(self, message: TranslationFailed) -> None:
        if message.entry > 0:
            self._notes.pop(message.entry, None)
            self._sources.pop(message.entry, None)
            self.query_one(Transcript).end(message.entry, message.reason, "yellow")
        elif message.entry == self._preview_entry:
            self._show_preview(message.reason)

    def _show_preview(self, note: str = "") -> None:
        text = Text("→ ", style="dim").append(escape_controls(self._preview_text), style="green")
        if note:
            text.append(f"  {escape_controls(note)}", style="red")
        self.query_one("#preview", Static).update(text)

    def _show_status(self) -> None:
        parts = [self.state.describe()] + ([f"on {self.engine_label}"] if self.engine_label else [])
        status = Text(escape_controls(" · ".join(parts)), style="dim")  # the model's label names its folder
        if self.state.shade:
            status.append("\n").append(confidence_legend())
        self.query_one("#repl-status", Static).update(status)
