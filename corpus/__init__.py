"""corpus: composable cleaning stages for training-grade text corpora.

>>> from corpus import Document
>>> Document(id="a", text="Hello").lang
''
"""

from corpus.document import Document
from corpus.errors import BuildError, ConfigError, CorpusError, InputError
from corpus.pipeline import Pipeline

__version__ = "0.1.0"
__all__ = ["BuildError", "ConfigError", "CorpusError", "Document", "InputError", "Pipeline", "__version__"]
