"""``--shareable``: a bundle that may leave the center. No study id and no calendar date in any file, every count
below K suppressed (K = 5 unless --min-cell is given), no patient-level file, a README saying what was removed.

Oracles: the ids and dates the test puts into the cohort itself (distinctive ids, every date of the input), and
the counts of an unsuppressed run of the same cohort."""
from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from mabseq.cli import app
from mabseq.cohort.storage import write_parquet_into
from mabseq.studies.twin import load_twin

runner = CliRunner()


def distinctive_twin():
    """The twin with ids no other text can contain by chance (``QX7300`` ...), two patients excluded (not B-ALL),
    and the input's dates collected (every calendar date the bundle must not show)."""
    c = load_twin()
    ids = {pid: f"QX73{i:02d}" for i, pid in enumerate(c["patients"]["patient_id"])}
    for t in c.tables.values():
        if "patient_id" in t and len(t):
            t["patient_id"] = t["patient_id"].replace(ids)
    p = c["patients"]
    p.loc[p["patient_id"].isin(["QX7303", "QX7304"]), "diagnosis"] = "t_all"
    dates = set()
    for t in c.tables.values():
        for col in t.columns:
            if pd.api.types.is_datetime64_any_dtype(t[col]):
                dates |= {d.date() for d in t[col].dropna()}
    return c, set(ids.values()), dates


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    base = tmp_path_factory.mktemp("share")
    c, ids, dates = distinctive_twin()
    write_parquet_into(c, base / "centre_cohort")
    out = base / "share"
    # publication figures too: every PDF and PNG of the bundle is searched for ids and dates below
    r = runner.invoke(app, ["report", str(base / "centre_cohort"), "--shareable", "--out", str(out),
                            "--figures", "publication"])
    assert r.exit_code == 0, r.output
    from mabseq.studies.run import run_study
    return {"out": out, "ids": ids, "dates": dates, "stdout": r.output, "data": base / "centre_cohort",
            "full": run_study(base / "centre_cohort")}


def texts(folder: Path) -> dict[str, str]:
    """Every file as text: the docx's XML parts; a PDF's streams inflated; PNG metadata chunks."""
    import zlib
    out = {}
    for p in sorted(folder.rglob("*")):
        if not p.is_file():
            continue
        rel = str(p.relative_to(folder))
        data = p.read_bytes()
        if p.suffix == ".docx":
            with zipfile.ZipFile(p) as z:
                out[rel] = "\n".join(z.read(n).decode("utf-8" if n.endswith((".xml", ".rels")) else "latin-1")
                                     for n in z.namelist())
        elif p.suffix == ".pdf":
            parts = [data.decode("latin-1")]
            for m in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
                try:
                    parts.append(zlib.decompress(m.group(1)).decode("latin-1"))
                except zlib.error:
                    pass
            out[rel] = "\n".join(parts)
        elif p.suffix == ".png":
            out[rel] = "\n".join(m.group(0).decode("latin-1") for m in re.finditer(rb"(tEXt|iTXt|zTXt).{0,200}",
                                                                                       data, re.S))
        else:
            out[rel] = data.decode("utf-8")
    return out


def test_bundle_holds_only_what_may_leave(bundle):
    names = {str(p.relative_to(bundle["out"])) for p in bundle["out"].rglob("*") if p.is_file()}
    for gone in ("adsl.csv", "adtte.csv", "excluded.csv", "findings.json", "r_checks.csv", "check_in_R.R",
                 "fidelity.csv"):
        assert gone not in names
    assert not any("swimmer" in n for n in names)
    assert {"report.html", "tables.docx", "results.json", "results.csv", "README.txt", "summary.txt"} <= names
    assert any(n.startswith("figures/") and n.endswith(".svg") and "flow" not in n for n in names)
    assert any(n.startswith("figures/") and n.endswith("_17cm.pdf") for n in names)
    readme = (bundle["out"] / "README.txt").read_text()
    assert "K = 5" in readme and "patient lists" in readme and "calendar dates" in readme and "adsl.csv" in readme
    assert "K = 5 (the default for --shareable" in bundle["stdout"]
    html = (bundle["out"] / "report.html").read_text()
    assert 'id="fig-swimmer"' not in html and "Withheld from a shareable bundle" in html


def test_no_study_id_in_any_file(bundle):
    files = texts(bundle["out"])
    assert len(files) > 80
    for name, text in files.items():
        found = [i for i in bundle["ids"] if i in text]
        assert not found, f"{name} holds {found[:3]}"
    # nor the folder's name (the source), nor any free-text-like label of the cohort
    for name, text in files.items():
        assert "centre_cohort" not in text, name


def test_no_calendar_date_in_any_file(bundle):
    iso = re.compile(r"\b(19|20|21)\d{2}-[01]\d-[0-3]\d\b")
    files = texts(bundle["out"])
    for name, text in files.items():
        m = iso.search(text)
        assert not m, f"{name}: {text[max(0, m.start() - 60):m.end() + 20]!r}"
        for d in bundle["dates"]:
            for form in (d.strftime("%d/%m/%Y"), d.strftime("%m/%d/%Y"), d.strftime("%Y/%m/%d"),
                         d.strftime("%d.%m.%Y"), d.strftime("%B %-d, %Y")):
                assert form not in text, (name, form)
    body = json.loads((bundle["out"] / "results.json").read_text())
    assert "cutoff" not in body["meta"] and body["meta"]["cutoff_year"] == "2020"
    assert "data cut-off in 2020" in files["report.html"]


def test_every_count_below_k_is_suppressed(bundle):
    """Every count record of the unsuppressed run with 1..4 patients is suppressed in results.json and shows
    '<5' in the HTML and Word tables; no count value below 5 is left anywhere in results.json."""
    full = bundle["full"].results
    body = json.loads((bundle["out"] / "results.json").read_text())
    recs = {r["id"]: r for r in body["records"]}
    small = [rid for rid, r in full.records.items()
             if r.statistic in ("n", "count_of") and isinstance(r.value, int) and 1 <= r.value <= 4]
    assert len(small) > 50
    for rid in small:
        assert recs[rid]["value"] is None and recs[rid]["suppressed"] == "<5", rid
    for r in body["records"]:
        if r["statistic"] in ("n", "count_of"):
            assert r["value"] is None or r["value"] == 0 or r["value"] >= 5, r["id"]
        assert "patients" not in r
    for b in body["flow"]["boxes"]:
        assert "patients" not in b and (isinstance(b["n"], str) or b["n"] == 0 or b["n"] >= 5)
    assert all("patient_id" not in e for e in body["flow"]["excluded"])
    assert body["timelines"] == [] and body["r_checks"] == []
    for c in body["curves"]:
        assert all(a["n_risk"] is None or a["n_risk"] == 0 or a["n_risk"] >= 5 for a in c["at_risk"])
        assert all(not {"n_risk", "n_event", "n_censor"} & set(s) for s in c["steps"])
    # the tables as a reader sees them
    from test_min_cell import html_tables
    from mabseq.render.tables import grid
    shown = html_tables((bundle["out"] / "report.html").read_text())
    import docx
    word = docx.Document(str(bundle["out"] / "tables.docx")).tables
    for ti, tid in enumerate(("table1", "table2", "table3")):
        spec = full.tables[tid]
        g = grid(full, spec)
        html_rows = shown[tid][1:]
        word_rows = [[c.text for c in r.cells] for r in word[ti].rows][1:]
        for i, row in enumerate(spec.rows):
            for j, rid in enumerate(row.get("cells", [])):
                if rid in small:
                    assert html_rows[i][j + 1] == "<5", (tid, row["label"], g.rows[i][j + 1])
                    assert word_rows[i][j + 1] == "<5", (tid, row["label"])


def test_numbers_at_risk_in_the_report_figures(bundle):
    """The KM figures embedded in report.html: every number under a figure is 0, 5 or more, or a marker."""
    html = (bundle["out"] / "report.html").read_text()
    assert "Number at risk" in html
    from mabseq.studies.run import run_study
    run = run_study(bundle["data"], min_cell=5)
    curves = [c for c in run.results.curves.values() if len(c.at_risk)]
    assert len(curves) > 10
    for c in curves:
        for s in c.at_risk["shown"]:
            assert s in ("", "0", "*", "<5") or int(s) >= 5, (c.id, s)


def test_min_cell_given_with_shareable(tmp_path):
    r = runner.invoke(app, ["run", "--shareable", "--min-cell", "10", "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    assert "K = 10" in r.output and "default" not in r.output
    body = json.loads((tmp_path / "o" / "results.json").read_text())
    assert body["meta"]["min_cell"] == 10
    assert all(r["value"] is None or r["value"] == 0 or r["value"] >= 10 for r in body["records"]
               if r["statistic"] in ("n", "count_of"))
    assert sorted(p.name for p in (tmp_path / "o").iterdir() if not p.name.startswith(".")) == \
        ["README.txt", "results.csv", "results.json", "summary.txt"]
    assert "K = 10" in (tmp_path / "o" / "README.txt").read_text()


def test_shareable_run_is_byte_identical(tmp_path):
    def digest(folder):
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
                if not p.name.startswith(".")}
    for o in ("a", "b"):
        assert runner.invoke(app, ["run", "--shareable", "--out", str(tmp_path / o), "--quiet"]).exit_code == 0
    assert digest(tmp_path / "a") == digest(tmp_path / "b")


def test_results_csv_of_the_bundle_has_no_patient_list(tmp_path):
    r = runner.invoke(app, ["run", "--shareable", "--out", str(tmp_path / "o"), "--quiet"])
    assert r.exit_code == 0
    res = pd.read_csv(tmp_path / "o" / "results.csv", dtype=str, keep_default_na=False)
    assert "patients" not in res.columns and not (tmp_path / "o" / "provenance.parquet").exists()
    assert not re.search(r"\bT\d\d\b", (tmp_path / "o" / "results.json").read_text())
