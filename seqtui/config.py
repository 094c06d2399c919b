"""The run's settings: read from `sequencer.toml`, checked, and merged with command-line flags.

The file groups keys in tables (`[paths]`, `[model]`, `[training]`, `[decoding]`); a key may also
stand at the top level. Unknown keys, wrong types and out-of-range values are `ConfigError`s that
name the key. Relative paths resolve against the config file's folder.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from seqtui import safe_json
from seqtui.errors import ConfigError

CONFIG_NAME = "sequencer.toml"
ARCHITECTURES = ("seq2seq", "attention")
OPTIMIZERS = ("rmsprop", "adam", "adamw", "sgd", "adagrad", "adadelta", "adamax", "nadam", "lion")
LOSSES = ("categorical_crossentropy", "sparse_categorical_crossentropy")
METRICS = ("accuracy",)
SAMPLINGS = ("first", "random")
STRATEGIES = ("auto", "mirrored", "none")
PRECISIONS = ("auto", "float32", "mixed_bfloat16")
# What each monitor's best is: the one table of directions (the trainer, resume, the runs table and the
# dashboard all read it through records.Monitor).
MONITOR_MODES: dict[str, Literal["min", "max"]] = {"val_loss": "min", "val_chrf": "max"}
MONITORS = tuple(MONITOR_MODES)
ENCODERS = ("lstm", "bilstm")
LR_SCHEDULES = ("constant", "decay", "plateau")
AVERAGINGS = ("none", "ema", "last-k")
AUGMENTS = ("none", "casual")
# Bounds on what sizes work, so a value from a file (a saved run's config.json too) cannot ask for an
# allocation or a loop without end. Far above any run seqtui is meant for.
MAX_OUTPUT_LEN = 5000  # characters decoded at most; corpus sides are capped at 1000 (seqtui.data.corpus)
MAX_WIDTH = 16384  # latent_dim and embedding_dim
MAX_BEAM = 256
# The decoding keys' ranges; `seqtui.decode.settings` checks every decode against them. Inside them no
# number overflows: length ** length_penalty stays under 1e37 even at MAX_OUTPUT_LEN (a penalty of 84
# overflows there). Past them a value is a typo, not a choice: sampling at 10 already writes mostly noise,
# and at a penalty of 10 beam search already prefers its longer hypotheses to its likelier ones.
MAX_TEMPERATURE = 10.0
MAX_LENGTH_PENALTY = 10.0
MAX_EPOCHS = 100_000
MAX_COUNT = 10**9  # pairs, steps, batches
MAX_CONFIG_BYTES = 2**20  # a config file is a few kilobytes


def _key(section: str, doc: str, default: Any = dataclasses.MISSING, **kw: Any) -> Any:
    """A config field that remembers its TOML table and its one-line description."""
    meta = {"section": section, "doc": doc, **kw}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Config:
    """Every setting of a run. Paths are absolute once loaded."""

    train_dir: Path = _key("paths", "Corpus folder (every *.txt and *.tsv in it) or a single file.",
                           Path("training_files"))
    model_dir: Path = _key("paths", "Where the model bundle and checkpoints are written.", Path("models"))
    predict_in: Path = _key("paths", "Default input file or folder for `seqtui predict`.", Path("predict_input"))
    predict_out: Path = _key("paths", "Folder `seqtui predict` writes its TSV files to.", Path("predict_output"))
    val_data: str = _key("paths", "A file of pairs used as the validation split instead of the last "
                         "val_split of the corpus (empty: none).", "", path=True)

    architecture: str = _key("model", "seq2seq (Chollet's encoder-decoder) or attention (Luong).", "seq2seq",
                             choices=ARCHITECTURES)
    latent_dim: int = _key("model", "Size of the LSTM states.", 256, min=1, max=MAX_WIDTH)
    embedding_dim: int = _key("model", "Size of the learned character vectors that replace one-hot input.",
                              64, min=1, max=MAX_WIDTH)
    dropout: float = _key("model", "Dropout rate on the embeddings, between stacked layers and on the decoder's "
                          "output.", 0.0, min=0.0, max_exclusive=1.0)
    encoder: str = _key("model", "lstm, or bilstm: a bidirectional encoder, latent_dim/2 units each way, whose "
                        "concatenated states seed the decoder (latent_dim must be even).", "lstm", choices=ENCODERS)
    layers: int = _key("model", "Stacked LSTM layers in the encoder and in the decoder; encoder layer k's final "
                       "state seeds decoder layer k.", 1, min=1, max=64)
    residual: bool = _key("model", "Add each stacked layer's input to its output (from the second layer on).",
                          False)

    num_samples: int = _key("training", "Pairs taken from the corpus (0: all).", 10000, min=0,
                           max=MAX_COUNT)
    sample: str = _key("training", "first: the first num_samples pairs in file order; random: a seeded "
                       "random sample.", "first", choices=SAMPLINGS)
    reverse: bool = _key("training", "Train target -> source (e.g. French -> English).", False)
    optimizer: str = _key("training", "Keras optimizer name.", "rmsprop", choices=OPTIMIZERS)
    learning_rate: float = _key("training", "Optimizer learning rate (0: the optimizer's default).", 0.0,
                                min=0.0)
    loss: str = _key("training", "categorical_crossentropy or sparse_categorical_crossentropy: both name the one "
                     "loss seqtui computes, on character ids (the same values, no one-hot arrays).",
                     "categorical_crossentropy", choices=LOSSES)
    label_smoothing: float = _key("training", "Label smoothing of the loss (0: off): the target character gets "
                                  "1 - e + e/V of the probability mass, every character e/V, as Keras' "
                                  "CategoricalCrossentropy(label_smoothing=e) does.", 0.0, min=0.0,
                                  max_exclusive=1.0)
    augment: str = _key("training", "none; casual: each epoch also shows the model augment_rate of its training "
                        "sources as people type them (lower case, ALL CAPS, final punctuation dropped or changed, "
                        "apostrophes left out), seeded by (seed, epoch); the targets stay as the corpus has them.",
                        "none", choices=AUGMENTS)
    augment_rate: float = _key("training", "augment = casual: the share of training sources shown in a casual form "
                               "each epoch.", 0.3, min=0.0, max=1.0)
    concat_rate: float = _key("training", "The share of training pairs each epoch shows joined with one or two "
                              "random others (a space between, on both sides), as people type several sentences at "
                              "once; some joins of two short statements become one sentence, 'X, and Y' / 'X, et Y'. "
                              "Seeded by (seed, epoch), combinable with augment = casual; validation pairs are never "
                              "joined (0: off).", 0.0, min=0.0, max=1.0)
    lr_schedule: str = _key("training", "constant; decay: the learning rate times decay_rate after every epoch; "
                            "plateau: times plateau_factor once the monitor has not improved for plateau_patience "
                            "epochs.", "constant", choices=LR_SCHEDULES)
    warmup_steps: int = _key("training", "Linear learning-rate warm-up over the first N optimizer steps (0: off); "
                             "step s runs at (s+1)/N of the scheduled rate.", 0, min=0,
                             max=MAX_COUNT)
    decay_rate: float = _key("training", "lr_schedule = decay: the factor applied after every epoch.", 0.9,
                             min_exclusive=0.0, max=1.0)
    plateau_factor: float = _key("training", "lr_schedule = plateau: the factor applied at each plateau.", 0.5,
                                 min_exclusive=0.0, max_exclusive=1.0)
    plateau_patience: int = _key("training", "lr_schedule = plateau: epochs without a better monitor score "
                                 "before the rate is cut.", 2, min=1, max=MAX_EPOCHS)
    weight_averaging: str = _key("training", "none; ema: an exponential moving average of the weights after every "
                                 "step; last-k: the mean of the weights at the ends of the last average_last "
                                 "epochs. The average is what val_loss and val_chrf score and what model.keras "
                                 "holds; checkpoints keep the raw weights too.", "none", choices=AVERAGINGS)
    ema_decay: float = _key("training", "weight_averaging = ema: average = d * average + (1 - d) * weights, "
                            "after every step.", 0.999, min=0.0, max_exclusive=1.0)
    average_last: int = _key("training", "weight_averaging = last-k: how many epoch ends to average.", 5, min=1,
                          max=1000)
    metrics: list[str] = _key("training", "[\"accuracy\"] reports per-character accuracy each epoch (the only "
                              "metric); [] turns it off.", ["accuracy"], choices=METRICS)
    batch_size: int = _key("training", "Pairs per batch (per replica under a distribution strategy).", 64,
                           min=1, max=2**16)
    epochs: int = _key("training", "Epochs to train (a resumed run counts the ones already done).", 100,
                       min=1, max=MAX_EPOCHS)
    steps_per_epoch: int = _key("training", "Batches per epoch (0: the whole training split).", 0, min=0,
                                 max=MAX_COUNT)
    val_split: float = _key("training", "Fraction of pairs, taken from the end, held out for validation.",
                            0.2, min_exclusive=0.0, max_exclusive=1.0)
    monitor: str = _key("training", "What picks the best epoch and drives early stopping: val_loss (lowest) "
                        "or val_chrf (highest chrF of greedy translations of the validation pairs).", "val_loss",
                        choices=MONITORS)
    patience: int = _key("training", "Early stopping: epochs without a better monitor score (0: off).", 10, min=0,
                         max=MAX_EPOCHS)
    seed: int = _key("training", "Random seed for weights, shuffling and sampling.", 1337, min=0,
                     max=2**32 - 1)  # numpy's seeds are 32-bit
    jit_compile: str = _key("training", "Compile training steps with XLA: true, false, or auto (on for the JAX "
                            "backend, off for TensorFlow, where it measured slower).", "auto",
                            choices=("auto", "true", "false"))
    precision: str = _key("training", "float32; mixed_bfloat16: compute in bfloat16 with float32 weights (the "
                          "softmax stays float32); auto: mixed_bfloat16 where the CPU (AVX512-BF16, AMX) or a GPU "
                          "has bfloat16 arithmetic, else float32.",
                          "float32", choices=PRECISIONS)
    checkpoint_every: int = _key("training", "Also checkpoint every N batches (0: at epoch ends only).", 0,
                                 min=0, max=MAX_COUNT)
    strategy: str = _key("training", "auto, mirrored or none: how training is spread over devices.", "auto",
                         choices=STRATEGIES)
    tensorboard: bool = _key("training", "Also write TensorBoard event files into model_dir (every history metric "
                             "per epoch), so `tensorboard --logdir` on the runs' folder shows seqtui's runs.", False)

    max_output_len: int = _key("decoding", "Longest translation in characters (0: twice the longest "
                               "training target).", 0, min=0, max=MAX_OUTPUT_LEN)
    beam: int = _key("decoding", "Beam width (1: greedy).", 1, min=1, max=MAX_BEAM)
    temperature: float = _key("decoding", "Sampling temperature (0: no sampling).", 0.0, min=0.0,
                               max=MAX_TEMPERATURE)
    length_penalty: float = _key("decoding", "Beam search ranks by score / length ** length_penalty (score: the "
                                 "total log-probability; 1: mean per character, 0: the raw total, which favours "
                                 "short outputs).", 1.0, min=0.0, max=MAX_LENGTH_PENALTY)

    def replace(self, **changes: Any) -> Config:
        """A copy with `changes` applied and checked."""
        return merge(self, changes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (paths as strings)."""
        return {f.name: (str(v) if isinstance(v, Path) else v)
                for f in dataclasses.fields(self) for v in [getattr(self, f.name)]}


FIELDS = {f.name: f for f in dataclasses.fields(Config)}
SECTIONS = sorted({f.metadata["section"] for f in FIELDS.values()})


def load(path: Path | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """Read a config file (or `./sequencer.toml` if it exists) and apply `overrides`.

    Args:
        path: the TOML file; None means `./sequencer.toml`, or the defaults when there is none.
        overrides: values from flags; None values are ignored.

    Raises:
        ConfigError: the file is missing, not TOML, or holds a bad key or value.
    """
    base = Path.cwd()
    values: dict[str, Any] = {}
    path = find(path)
    if path is not None:
        values = _read_toml(path)
        base = path.resolve().parent
    cfg = _build(values, base, source=str(path) if path else "defaults")
    return merge(cfg, overrides or {}, base=Path.cwd())


def find(path: Path | None = None) -> Path | None:
    """The config file `load` reads: `path`, else ./sequencer.toml if there is one, else None (the defaults)."""
    if path is None and (Path.cwd() / CONFIG_NAME).is_file():
        return Path.cwd() / CONFIG_NAME
    return None if path is None else Path(path)


def keys_in(path: Path) -> set[str]:
    """The keys a config file sets (checked as `load` checks them)."""
    return set(_read_toml(path))


def merge(cfg: Config, overrides: dict[str, Any], base: Path | None = None, source: str = "command line") -> Config:
    """Apply flag `overrides` (None means "not given") to `cfg`; relative paths resolve against `base`.
    An error names `source` (where the overrides came from) and the key."""
    given = {k: v for k, v in overrides.items() if v is not None}
    for key in given:
        if key not in FIELDS:
            raise ConfigError(f"unknown setting '{key}'{_suggest(key)}")
    merged = {**{k: getattr(cfg, k) for k in FIELDS}, **given}
    return _build(merged, base or Path.cwd(), source=source)


def _read_toml(path: Path) -> dict[str, Any]:
    try:  # a regular file only (a FIFO would block), and a bounded one
        text = safe_json.read_bytes(path, MAX_CONFIG_BYTES).decode("utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, ValueError) as e:  # a JsonError, or bytes that are not UTF-8
        raise ConfigError(f"{path}: cannot read config file ({e})") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML ({e})") from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ConfigError(f"{path}: not valid TOML (arrays or tables nested too deep)") from None
    flat: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, dict):
            if key not in SECTIONS:
                raise ConfigError(f"{path}: unknown table [{key}]{_suggest(key, SECTIONS)}")
            for sub, subvalue in value.items():
                where = f"{path}: [{key}] {sub}"
                if sub not in FIELDS:
                    raise ConfigError(f"{where}: unknown key{_suggest(sub)}")
                if FIELDS[sub].metadata["section"] != key:
                    raise ConfigError(f"{where}: belongs in [{FIELDS[sub].metadata['section']}]")
                flat[sub] = subvalue
        elif key in FIELDS:
            flat[key] = value
        else:
            raise ConfigError(f"{path}: {key}: unknown key{_suggest(key)}")
    return flat


def _build(values: dict[str, Any], base: Path, source: str) -> Config:
    # Default paths resolve against the config's folder just as written ones do.
    defaults = {n: f.default for n, f in FIELDS.items() if isinstance(f.default, Path)}
    checked = {name: _check(name, value, base, source) for name, value in {**defaults, **values}.items()}
    cfg = Config(**checked)
    if cfg.encoder == "bilstm" and cfg.latent_dim % 2:
        raise ConfigError(f"{source}: encoder: bilstm splits latent_dim between its two directions, so latent_dim "
                          f"must be even, got {cfg.latent_dim}")
    return cfg


def _default(f: dataclasses.Field[Any]) -> Any:
    """A field's default, whether given as a value or a factory."""
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    raise AssertionError(f"the setting {f.name} has no default")


def _check(name: str, value: Any, base: Path, source: str) -> Any:
    """Coerce and range-check one value; raise a ConfigError that names the key."""
    f = FIELDS[name]
    meta = f.metadata
    where = f"{source}: {name}"
    default = _default(f)
    if isinstance(default, Path):
        if not isinstance(value, (str, Path)) or str(value) == "":
            raise ConfigError(f"{where}: expected a path, got {value!r}")
        p = Path(value).expanduser()
        return p if p.is_absolute() else (base / p).resolve()
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected a whole number, got {value!r}")
    elif isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError(f"{where}: expected a number, got {value!r}")  # TOML and JSON both have nan and inf
        value = float(value)
    elif isinstance(default, list):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: expected a list of names, got {value!r}")
    elif isinstance(default, str):
        if isinstance(value, bool) and meta.get("choices") and "true" in meta["choices"]:
            value = str(value).lower()  # jit_compile = true in TOML
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        if meta.get("path") and value:
            p = Path(value).expanduser()
            value = str(p if p.is_absolute() else (base / p).resolve())
    _check_range(where, value, meta)
    return value


def _check_range(where: str, value: Any, meta: Any) -> None:
    choices = meta.get("choices")
    for v in value if isinstance(value, list) else [value]:
        if choices and v not in choices:
            raise ConfigError(f"{where}: {v!r} is not one of {', '.join(choices)}{_suggest(v, choices)}")
    if "min" in meta and value < meta["min"]:
        raise ConfigError(f"{where}: must be at least {meta['min']}, got {value}")
    if "min_exclusive" in meta and value <= meta["min_exclusive"]:
        raise ConfigError(f"{where}: must be greater than {meta['min_exclusive']}, got {value}")
    if "max" in meta and value > meta["max"]:
        raise ConfigError(f"{where}: must be at most {meta['max']}, got {value}")
    if "max_exclusive" in meta and value >= meta["max_exclusive"]:
        raise ConfigError(f"{where}: must be less than {meta['max_exclusive']}, got {value}")


def _suggest(word: str, options: Any = None) -> str:
    close = difflib.get_close_matches(str(word), list(options or FIELDS), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def describe() -> list[tuple[str, str, str, str]]:
    """(section, key, default, description) for every setting, for docs and `seqtui config`."""
    rows = []
    for f in FIELDS.values():
        default = _default(f)
        shown = repr(str(default) if isinstance(default, Path) else default)
        rows.append((f.metadata["section"], f.name, shown, f.metadata["doc"]))
    return rows
