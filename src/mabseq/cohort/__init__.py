"""The cohort: one canonical data model (``schema``), the doors into it (``readers``, ``redcap``), its stored forms
(``storage``: DuckDB, Parquet) and the validator that names every problem (``validate``)."""
from .findings import CohortError, Finding, Findings
from .load import load_cohort, load_valid_cohort
from .model import Cohort
from .schema import BY_NAME, SCHEMA_VERSION, TABLES

__all__ = ["Cohort", "CohortError", "Finding", "Findings", "load_cohort", "load_valid_cohort", "TABLES", "BY_NAME",
           "SCHEMA_VERSION"]
