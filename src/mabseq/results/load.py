"""Read a study's results back from ``results.json`` (what `mabseq run` or `report` wrote) into a ResultSet, so a
notebook can select records, redraw a table or restyle it (render/table_export.py) without re-running the study.
Records, tables, curves, the flow diagram, text and meta come back; the file is data, read with ``json`` only. The
patients behind each record and flow box come back from ``provenance.parquet`` beside it (results/provenance.py)
when it is there (a shareable bundle has none: its records carry no patients)."""
from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pandas as pd

from .provenance import FILE as PROVENANCE, read_provenance
from .records import Curve, Record, ResultSet, TableSpec

_RECORD_FIELDS = {f.name for f in fields(Record)}
_TABLE_FIELDS = {f.name for f in fields(TableSpec)}


def load_results(path: str | Path) -> ResultSet:
    path = Path(path)
    d = json.loads(path.read_text(encoding="utf-8"))
    prov = read_provenance(path.parent / PROVENANCE) if (path.parent / PROVENANCE).is_file() else {}
    res = ResultSet(d.get("study", ""), d.get("source", ""), bool(d.get("synthetic")))
    res.meta = dict(d.get("meta", {}))
    for r in d.get("records", []):
        kw = {k: v for k, v in r.items() if k in _RECORD_FIELDS}
        kw["patients"] = prov.get(("record", kw.get("id")), tuple(kw.get("patients", ())))
        res.add(Record(**kw))
    for t in d.get("tables", []):
        spec = TableSpec(**{k: v for k, v in t.items() if k in _TABLE_FIELDS})
        res.tables[spec.id] = spec
    for c in d.get("curves", []):
        res.curves[c["id"]] = Curve(c["id"], c["kind"], c["title"], c["population"], c["endpoint"],
                                    pd.DataFrame(c.get("steps", [])), pd.DataFrame(c.get("at_risk", [])),
                                    c.get("test_id", ""), c.get("time_unit", "days"), c.get("block", ""),
                                    bool(c.get("extension")), c.get("note", ""))
        if "labels" in c:
            res.curves[c["id"]].labels = dict(c["labels"])
        res.curves[c["id"]].corrected = [list(x) for x in c.get("corrected", [])]
    flow = d.get("flow", {})
    res.flow.boxes = [dict(b, patients=list(prov[("flow_box", str(b.get("id")))]))
                      if ("flow_box", str(b.get("id"))) in prov else dict(b) for b in flow.get("boxes", [])]
    res.flow.edges = [tuple(e) for e in flow.get("edges", [])]
    res.flow.excluded = list(flow.get("excluded", []))
    res.text = dict(d.get("text", {}))
    res.timelines = pd.DataFrame(d.get("timelines", []))
    return res
