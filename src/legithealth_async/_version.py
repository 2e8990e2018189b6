"""The package's version: the one source (hatch reads it for the metadata; the client's
User-Agent and ``legithealth_async.__version__`` import it)."""

__version__ = "0.1.0"
