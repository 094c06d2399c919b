"""The reference in docs/ keeps up with the code: every command and every flag (walked from the typer app),
every config key (from the config's fields), and every relative link of README.md and docs/ reaching a
file and a heading that exist."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer.main

from seqtui.cli import app
from seqtui.config import FIELDS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
CONFIG_PANEL = "Config overrides"  # the help panel of the flags generated from the config's fields
FLAG = re.compile(r"(?<![\w-])(?:--[a-z][a-z0-9-]*|-[a-z](?![\w-]))")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _commands() -> Iterator[tuple[str, Any]]:
    """Every command of the app as its words after `seqtui` ("" for seqtui itself, "data fetch"), groups too."""
    def walk(command: Any, words: list[str]) -> Iterator[tuple[str, Any]]:
        yield " ".join(words), command
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, [*words, name])

    yield from walk(typer.main.get_command(app), [])


def _opts(param: Any) -> set[str]:
    return {*param.opts, *param.secondary_opts}


def _own_flags(words: str, command: Any) -> set[str]:
    """The flags a command's own options table must list: all but the config flags (and `--help`, listed once
    on `seqtui` itself)."""
    flags = {o for p in command.params if p.param_type_name == "option"
             and getattr(p, "rich_help_panel", None) != CONFIG_PANEL for o in _opts(p)}
    if words == "":
        flags |= set(command.context_settings["help_option_names"])
    return flags


def _without_code(text: str) -> str:
    """The text outside fenced code blocks (where `#` opens a comment, not a heading)."""
    return re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)


def _sections(text: str) -> dict[str, str]:
    """A page's `## ` sections: heading -> body."""
    parts = re.split(r"^## (.+)$", _without_code(text), flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _first_cells(body: str) -> list[str]:
    """The first cell of each table row of a section, header and rule excluded."""
    rows = [line.split("|")[1] for line in body.splitlines() if line.startswith("|")]
    return [cell for cell in rows if cell.strip() and not set(cell.strip()) <= {"-"}]


def _command_sections() -> dict[str, str]:
    """commands.md's sections by the command they document: '## `seqtui data fetch [PAIR]`' -> 'data fetch'."""
    found = {}
    for heading, body in _sections((DOCS / "commands.md").read_text(encoding="utf-8")).items():
        if match := re.fullmatch(r"`seqtui((?: [a-z]+)*)(?: [^a-z].*)?`", heading.strip()):
            found[match.group(1).strip()] = body
    return found


def test_every_command_has_its_section_in_commands_md() -> None:
    """Caught: a new command left out of the reference, or a section left for a command that is gone."""
    needed = {words for words, cmd in _commands() if not hasattr(cmd, "commands") or _own_flags(words, cmd)}
    assert set(_command_sections()) == needed


def test_every_flag_is_in_its_commands_options_table() -> None:
    """Each command's options table lists exactly its flags (short ones too): caught, a flag added, renamed
    or removed in the code and not in commands.md."""
    sections = _command_sections()
    for words, command in _commands():
        if words in sections:
            listed = {f for cell in _first_cells(sections[words]) for f in FLAG.findall(cell)}
            assert listed == _own_flags(words, command), f"seqtui {words}".strip()


def _config_rows() -> dict[str, tuple[str, set[str]]]:
    """configuration.md's keys table: key -> (its TOML table, the flags its row names)."""
    rows = {}
    for line in (DOCS / "configuration.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) >= 5 and re.fullmatch(r"`\w+`", cells[1]):
            rows[cells[1].strip("`")] = (cells[0], set(FLAG.findall(cells[2])))
    return rows


def test_every_config_key_is_in_the_configuration_table_under_its_table() -> None:
    """Caught: a key added to the config (as augment was) but not to the table, or a row for a key that is
    gone, or a key listed under another TOML table than the one it is read from."""
    rows = _config_rows()
    assert {key: table for key, (table, _) in rows.items()} == {n: f.metadata["section"] for n, f in FIELDS.items()}


def test_every_config_flag_is_named_in_its_keys_row() -> None:
    """`train` and `dashboard` take a flag per config key: caught, a key's row naming no flag, or another."""
    rows = _config_rows()
    for words, command in _commands():
        for param in command.params:
            if getattr(param, "rich_help_panel", None) == CONFIG_PANEL:
                assert param.name in rows, f"seqtui {words}: {param.name}"
                assert rows[param.name][1] == _opts(param), f"seqtui {words}: {param.name}"
        if any(getattr(p, "rich_help_panel", None) == CONFIG_PANEL for p in command.params):
            assert "configuration.md" in _command_sections()[words], f"seqtui {words} names no configuration.md"
    assert rows["metrics"][1] == set()  # a list: no flag, set in the file


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading: link text kept, lower case, punctuation but - and _ dropped."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    anchors = set()
    for heading in re.findall(r"^#{1,6} (.+)$", _without_code(page.read_text(encoding="utf-8")), flags=re.M):
        slug = _slug(heading)
        anchors.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
        seen[slug] = seen.get(slug, 0) + 1
    return anchors


def _links(page: Path) -> list[str]:
    text = re.sub(r"`[^`\n]*`", "", _without_code(page.read_text(encoding="utf-8")))
    return [t for t in LINK.findall(text) if not re.match(r"[a-z][a-z0-9+.-]*:", t)]


def test_the_anchor_rule_is_githubs() -> None:
    assert _slug("The defaults: the original's and `sequencer.toml`'s") == \
        "the-defaults-the-originals-and-sequencertomls"
    assert _slug("`seqtui data fetch [PAIR]`") == "seqtui-data-fetch-pair"
    assert _slug("`--length-penalty A`") == "--length-penalty-a"


def test_every_relative_link_reaches_a_file_and_a_heading() -> None:
    """Caught: a link into a page or a heading that moved or was renamed (the README's sections moved to docs/)."""
    broken = []
    for page in PAGES:
        for target in _links(page):
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            if not file.exists() or (anchor and file.suffix == ".md" and anchor not in _anchors(file)):
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert broken == []
    assert sum(len(_links(p)) for p in PAGES) > 50  # the links were found at all


def test_the_readme_links_every_docs_page() -> None:
    linked = {(ROOT / t.partition("#")[0]).resolve() for t in _links(ROOT / "README.md")}
    assert [p.name for p in PAGES[1:] if p.resolve() not in linked] == []
