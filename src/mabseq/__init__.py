"""mabseq: outcomes research in relapsed/refractory B-ALL treated with blinatumomab and inotuzumab.

Layers (see docs/ARCHITECTURE.md): data in -> cohort -> criteria -> derive -> stats -> results -> render.
"""
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("mabseq")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.1.0"

__all__ = ["__version__"]
