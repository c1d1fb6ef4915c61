"""Privacy tools: ``mabseq deidentify`` (HIPAA Safe Harbor de-identification with a per-patient date shift and a
separate key). The identifier scan every import runs lives in :mod:`mabseq.cohort.identifiers`."""
from .deidentify import ALLOWED_FREE_TEXT, DeidError, DeidResult, deidentify, reidentify
from .key import DeidKey, KeyFileError, is_key_file, new_key, read_key

__all__ = ["deidentify", "reidentify", "DeidResult", "DeidError", "DeidKey", "KeyFileError", "read_key",
           "new_key", "is_key_file", "ALLOWED_FREE_TEXT"]
