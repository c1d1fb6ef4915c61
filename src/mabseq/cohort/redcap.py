"""REDCap: the project's data dictionary, generated from the schema, and the reader of its records export.

The dictionary (:func:`data_dictionary`, ``mabseq template redcap``) has one instrument per schema table except
``study`` (the study row comes from the column-mapping file's ``"study"`` values). The record ID is ``patient_id``,
the first field of instrument ``patients``.

Repeating instruments
    ``patients`` and ``follow_up`` hold one row per patient and are ordinary (non-repeating) instruments. Every
    other instrument (``REPEATING_INSTRUMENTS``: therapies, doses, assessments, ...) holds many rows per patient
    and must be made *repeating*. A data dictionary cannot say so: after uploading it, go to Project Setup ->
    "Repeating instruments and events" and tick those instruments (in a longitudinal project, make them repeating
    within their event).

Field names
    REDCap field names are unique across the project, lowercase letters, digits and underscores, start with a
    letter, and should be at most 26 characters. Fields of ``patients`` keep the schema's column name; the fields
    of every other instrument get a short prefix (``PREFIXES``: ``th_start_date`` is ``therapies.start_date``).
    ``patient_id`` exists once, as the record ID. :func:`field_name` and :func:`column_of_field` convert.

Field types
    category -> dropdown (``code, Label | code, Label``); date -> text validated ``date_ymd``; integer / number ->
    text validated ``integer`` / ``number`` with the schema's range; string -> text (``notes`` for free text); a
    ';'-separated list with a vocabulary (e.g. ``transplants.conditioning_agents``) -> checkbox whose choices are
    the vocabulary, so items outside the vocabulary are recorded as ``other``.

Reading (:func:`read_redcap`)
    A "records" CSV export (raw or labels; raw column headers) with its data dictionary. Each row with a
    ``redcap_repeat_instrument`` is one row of that instrument's table; a row without one gives a row to every
    table whose fields on that row are not all empty (patients, follow_up, and in longitudinal projects whatever
    forms the event holds). Checkbox columns ``field___code`` (1/0 or Checked/Unchecked) become a ';'-separated
    list of the checked codes. Instrument status (``<form>_complete``), survey timestamps and ``redcap_*``
    columns are ignored. Values are otherwise passed on as text: the shared coercion reads codes and labels.

    A dictionary from another project works when its forms and fields map to the schema: a form through the
    mapping's ``"tables"`` or its own name, a field through the mapping's ``"columns"`` or its name (with or
    without this module's prefix). Its first field is taken as the record ID, whatever its name. Dropdown, radio
    and yes/no values given as that project's numeric codes are read as their labels.

    The reader is :mod:`mabseq.cohort.redcap_read` (its findings are listed there); the field names are
    :mod:`mabseq.cohort.redcap_fields`. This module keeps the dictionary generator and the export.
"""
from __future__ import annotations

import csv
import io

import pandas as pd

from .redcap_fields import (_COMPLETE, DICTIONARY_HEADER, IDENTIFIERS, INSTRUMENTS, MAX_FIELD_NAME,
                            NOTES_COLUMNS, PREFIXES, RECORD_ID, REPEATING_INSTRUMENTS, column_of_field, field_name)
from .redcap_read import read_dictionary, read_redcap
from .schema import BY_NAME, Column, Table

# ------------------------------------------------------------------------------------------------ the dictionary

def _num(v: float | None) -> str:
    if v is None:
        return ""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _choices_text(pairs) -> str:
    return " | ".join(f"{code}, {label}" for code, label in pairs)


def _field_row(table: Table, col: Column) -> dict[str, str]:
    """One dictionary row for ``table.col``."""
    row = dict.fromkeys(DICTIONARY_HEADER, "")
    row.update({"Variable / Field Name": field_name(table.name, col.name), "Form Name": table.name,
                "Field Type": "text", "Field Label": col.description, "Field Note": col.unit,
                "Required Field?": "y" if col.required else "",
                "Identifier?": "y" if (table.name, col.name) in IDENTIFIERS else ""})
    if col.type == "category":
        row.update({"Field Type": "dropdown", "Choices, Calculations, OR Slider Labels": _choices_text(col.choices)})
    elif col.vocabulary:
        row.update({"Field Type": "checkbox", "Choices, Calculations, OR Slider Labels": _choices_text(col.vocabulary)})
    elif col.type == "date":
        row["Text Validation Type OR Show Slider Number"] = "date_ymd"
    elif col.type in ("integer", "number"):
        row.update({"Text Validation Type OR Show Slider Number": col.type,
                    "Text Validation Min": _num(col.min), "Text Validation Max": _num(col.max)})
    elif col.type == "boolean":
        row["Field Type"] = "yesno"
    elif (table.name, col.name) in NOTES_COLUMNS:
        row["Field Type"] = "notes"
    return row


def dictionary_rows() -> list[dict[str, str]]:
    """The dictionary as rows (dicts keyed by ``DICTIONARY_HEADER``): the record ID first, then form by form."""
    rows = []
    for name in INSTRUMENTS:
        t = BY_NAME[name]
        rows += [_field_row(t, c) for c in t.columns if c.name != RECORD_ID or name == "patients"]
    return rows


def _csv_text(header, rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def data_dictionary() -> str:
    """The REDCap data dictionary (CSV text) generated from the schema; upload it in Project Setup."""
    return _csv_text(DICTIONARY_HEADER, [[r[h] for h in DICTIONARY_HEADER] for r in dictionary_rows()])


# ------------------------------------------------------------------------------------------------ export

def _form_label(form: str) -> str:
    """The instrument label REDCap gives a form created from a dictionary (shown in label exports)."""
    return form.replace("_", " ").title()


def _cell(v, col: Column, labels: bool) -> str:
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if col.type == "integer":
        return str(int(v))
    if col.type == "number":
        import numpy as np
        return np.format_float_positional(float(v), trim="-")
    if col.type == "category" and labels:
        return dict(col.choices).get(v, v)
    return str(v)


def _checkbox_cells(v, col: Column, labels: bool) -> list[str]:
    """One cell per vocabulary item; items outside the vocabulary are ticked as ``other``."""
    codes = [c for c, _ in col.vocabulary]
    items = set() if _cell(v, col, False) == "" else {s.strip() for s in str(v).split(";") if s.strip()}
    ticked = {i for i in items if i in codes}
    if items - ticked:
        if "other" not in codes:
            raise ValueError(f"{col.name}: {sorted(items - ticked)} not in the vocabulary and no 'other' choice")
        ticked.add("other")
    on, off = ("Checked", "Unchecked") if labels else ("1", "0")
    return [on if c in ticked else off for c in codes]


def _export_columns() -> list[str]:
    cols = [RECORD_ID, "redcap_repeat_instrument", "redcap_repeat_instance"]
    for name in INSTRUMENTS:
        for c in BY_NAME[name].columns:
            if c.name == RECORD_ID:
                continue
            f = field_name(name, c.name)
            cols += [f"{f}___{code}" for code, _ in c.vocabulary] if c.vocabulary else [f]
        cols.append(f"{name}_complete")
    return cols


def _form_cells(name: str, record: dict | None, labels: bool) -> dict[str, str]:
    """The cells of one instrument filled from one table row (``record``), incl. its ``_complete`` status."""
    out = {}
    if record is None:
        return out
    for c in BY_NAME[name].columns:
        if c.name == RECORD_ID:
            continue
        f = field_name(name, c.name)
        if c.vocabulary:
            out.update(zip([f"{f}___{code}" for code, _ in c.vocabulary],
                           _checkbox_cells(record.get(c.name), c, labels)))
        else:
            out[f] = _cell(record.get(c.name), c, labels)
    out[f"{name}_complete"] = _COMPLETE["labels" if labels else "raw"]
    return out


def export_records(cohort, labels: bool = False) -> str:
    """The cohort as a REDCap "records" CSV export (raw codes, or labels with ``labels=True``).

    Rows are ordered as REDCap orders them: per record, the non-repeating row (patients and follow_up), then the
    instances of each repeating instrument numbered from 1. Useful for demos and to load a cohort into REDCap
    with the data import tool (raw form). A patient with several follow_up rows exports the first only.
    """
    columns = _export_columns()
    recs = {name: cohort[name].astype(object).where(cohort[name].notna(), None).to_dict("records")
            for name in INSTRUMENTS}
    pids = list(dict.fromkeys([r[RECORD_ID] for name in INSTRUMENTS for r in recs[name]]))
    rows = []
    for pid in pids:
        mine = {name: [r for r in recs[name] if r[RECORD_ID] == pid] for name in INSTRUMENTS}
        base = {name: mine[name][0] for name in INSTRUMENTS if name not in REPEATING_INSTRUMENTS and mine[name]}
        if base:
            row = {RECORD_ID: pid}
            for name, record in base.items():
                row.update(_form_cells(name, record, labels))
            rows.append(row)
        for name in REPEATING_INSTRUMENTS:
            for k, record in enumerate(mine[name], start=1):
                row = {RECORD_ID: pid, "redcap_repeat_instance": str(k),
                       "redcap_repeat_instrument": _form_label(name) if labels else name}
                row.update(_form_cells(name, record, labels))
                rows.append(row)
    return _csv_text(columns, [[r.get(c, "") for c in columns] for r in rows])


__all__ = ["DICTIONARY_HEADER", "MAX_FIELD_NAME", "RECORD_ID", "INSTRUMENTS", "PREFIXES", "REPEATING_INSTRUMENTS", "column_of_field",
           "data_dictionary", "dictionary_rows", "export_records", "field_name", "read_dictionary", "read_redcap"]
