"""REDCap field names, shared by the dictionary generator and the records reader (:mod:`mabseq.cohort.redcap`
documents the rules).

Fields of ``patients`` keep the schema's column name; the fields of every other instrument get a short prefix
(``PREFIXES``: ``th_start_date`` is ``therapies.start_date``). ``patient_id`` exists once, as the record ID.
"""
from __future__ import annotations

from .schema import BY_NAME, TABLES

DICTIONARY_HEADER = (
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
    "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
    "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name", "Matrix Ranking?",
    "Field Annotation",
)
RECORD_ID = "patient_id"
MAX_FIELD_NAME = 26
PREFIXES = {"patients": "", "therapies": "th", "doses": "do", "assessments": "as", "transplants": "tx",
            "toxicity_episodes": "te", "toxicity_observations": "to", "disease_events": "de", "follow_up": "fu"}
INSTRUMENTS: tuple[str, ...] = tuple(t.name for t in TABLES if t.name != "study")
REPEATING_INSTRUMENTS: tuple[str, ...] = tuple(n for n in INSTRUMENTS if BY_NAME[n].key != ("patient_id",))
NOTES_COLUMNS = {("disease_events", "note")}  # long free text: a "notes" box
IDENTIFIERS = {("patients", "birth_date")}  # flagged so that de-identified exports drop them

_IMPLICIT_CHOICES = {"yesno": (("1", "Yes"), ("0", "No")), "truefalse": (("1", "True"), ("0", "False"))}
_CHECKBOX_VALUES = {"1": True, "checked": True, "0": False, "unchecked": False, "": False}
_COMPLETE = {"raw": "2", "labels": "Complete"}


# ------------------------------------------------------------------------------------------------ field names

def _prefix(table: str) -> str:
    """The field-name prefix of a table's instrument ('' for patients); initials for a table not in PREFIXES."""
    if table in PREFIXES:
        return PREFIXES[table]
    words = table.split("_")
    return "".join(w[0] for w in words) if len(words) > 1 else table[:2]


def field_name(table: str, column: str) -> str:
    """The REDCap field name of ``table.column`` (``th_start_date``); ``patient_id`` is always the record ID."""
    if table not in BY_NAME or table == "study" or column not in BY_NAME[table]:
        raise KeyError(f"{table}.{column} is not a column of an instrument")
    if column == RECORD_ID:
        return RECORD_ID
    p = _prefix(table)
    return f"{p}_{column}" if p else column


_FIELD_INDEX: dict[str, tuple[str, str]] = {
    field_name(t, c.name): (t, c.name) for t in INSTRUMENTS for c in BY_NAME[t].columns if c.name != RECORD_ID}
_FIELD_INDEX[RECORD_ID] = ("patients", RECORD_ID)


def column_of_field(field: str) -> tuple[str, str] | None:
    """The inverse of :func:`field_name`: ``(table, column)`` of a field of the generated dictionary, else None."""
    return _FIELD_INDEX.get(field.strip().lower())


__all__ = ["DICTIONARY_HEADER", "RECORD_ID", "MAX_FIELD_NAME", "PREFIXES", "INSTRUMENTS", "REPEATING_INSTRUMENTS",
           "NOTES_COLUMNS", "IDENTIFIERS", "field_name", "column_of_field"]
