"""The rules ARCHITECTURE.md states, checked on the source: each layer imports only the layers below it
(lazy imports inside functions count too), the core never imports Textual or typer, only the backend
imports TensorFlow (test_boundaries), and every module belongs to a layer."""

import ast
import functools
from pathlib import Path

import pytest

import seqtui

PACKAGE = Path(seqtui.__file__).parent

# Bottom to top, as ARCHITECTURE.md lists them. A unit is a subpackage or a top-level module.
LAYERS: tuple[tuple[str, ...], ...] = (
    # shared by all
    ("errors", "safe_text", "safe_json", "safe_zip", "atomic", "config", "records", "events", "system"),
    ("data",),
    ("model",),
    ("decode",),
    ("store",),
    ("train",),
    ("report",),
    ("api",),
    ("serve",),  # the HTTP server, beside the CLI and the TUI: the core never imports it
    ("tui",),
    ("cli",),
    ("__init__", "__main__"),  # the package's face: `import seqtui`, `python -m seqtui`
)
RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}
# Inside the shared layer the modules stand in this order too: config reads errors, records config, events records.
SHARED = LAYERS[0]
CORE = {unit for unit in RANK if unit not in ("cli", "tui", "serve", "__main__")}
UI_LIBRARIES = ("textual", "typer", "aiohttp")


def unit_of(module: str) -> str:
    """`seqtui.store.rundir` -> store; `seqtui.config` -> config; `seqtui` -> __init__."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str) -> list[str]:
    """Every module `source` imports, at the top or inside a function (`from a import b` gives a and a.b)."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out += [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
    return out


def upward(module: str, source: str) -> list[str]:
    """The imports of `module` that reach a higher layer, or a later module of the shared layer."""
    me = unit_of(module)
    found = []
    for name in imports(source):
        if not name.startswith("seqtui.") or unit_of(name) == me or unit_of(name) not in RANK:
            continue
        them = unit_of(name)
        later_shared = me in SHARED and them in SHARED and SHARED.index(them) > SHARED.index(me)
        if RANK[them] > RANK[me] or later_shared:
            found.append(f"{module} imports {name}")
    return found


@functools.cache
def sources() -> list[tuple[str, str]]:
    return [(module_name(p), p.read_text(encoding="utf-8")) for p in sorted(PACKAGE.rglob("*.py"))]


def test_every_module_belongs_to_a_layer() -> None:
    """Catches a new subpackage or top-level module that nobody placed (the import rule would skip it)."""
    assert sorted({unit_of(m) for m, _ in sources()} - set(RANK)) == []


def test_no_layer_imports_a_higher_one() -> None:
    """Catches, say, the store importing the trainer, the decoder importing the store, or the TUI the CLI."""
    assert [line for m, s in sources() for line in upward(m, s)] == []


def test_the_core_never_imports_textual_or_typer() -> None:
    """Catches a core module (anything outside cli/ and tui/) that imports the UI's libraries, even lazily."""
    found = [f"{m} imports {name}" for m, s in sources() if unit_of(m) in CORE
             for name in imports(s) if name.split(".")[0] in UI_LIBRARIES]
    assert found == []


@pytest.mark.parametrize(("module", "source", "caught"), [
    ("seqtui.store.rundir", "def f():\n    from seqtui.train import training\n", True),
    ("seqtui.config", "import seqtui.records\n", True),
    ("seqtui.tui.app", "from seqtui.cli import app\n", True),
    ("seqtui.train.training", "from seqtui.store.rundir import RunDir\n", False),
    ("seqtui.store.resume", "from seqtui.store.rundir import RunDir\n", False),
])
def test_the_rule_sees_what_it_should(module: str, source: str, caught: bool) -> None:
    """Catches a checker that stopped seeing violations (lazy ones included), so the tests above pass idly."""
    assert bool(upward(module, source)) == caught
