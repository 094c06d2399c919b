"""seqtui: train and talk to a character-level sequence-to-sequence translator from the terminal.

Importing the package is cheap: TensorFlow is only imported when training or evaluating.
"""

from seqtui.api import Translator, load, train
from seqtui.config import Config
from seqtui.config import load as load_config
from seqtui.errors import SeqtuiError

__all__ = ["Config", "SeqtuiError", "Translator", "load", "load_config", "train"]
__version__ = "0.1.0"
