"""`mabseq map draft`: a messy chart-review workbook (its own sheet and column names) -> a drafted mapping whose
assignments are checked against a hand-written expectation, with TODO where the draft cannot know, every distinct
value listed with its count, and the same bytes every time."""
from __future__ import annotations

import datetime as dt
from collections import Counter

import openpyxl
import pytest
import typer
from ruamel.yaml import YAML
from typer.testing import CliRunner

from mabseq.cohort.findings import Findings
from mabseq.mapping.draft import draft_mapping
from mabseq.mapping.vocab import load_vocabularies

scan = pytest.importorskip("mabseq.scan.profile")

D = dt.date
DEMO = [["Study no.", "Gender", "Dx date", "DOB", "Ph+", "prior SCT?", "Entered by"],
        ["P01", "m", D(2018, 1, 5), D(1970, 2, 1), "yes", "no", "x"],
        [" p02", "f", D(2018, 3, 9), D(1965, 5, 5), "no", "unk", ""],
        ["P03", "Male", D(2019, 6, 1), D(1980, 7, 7), "y", "no", "y"],
        ["P04", "F", D(2019, 8, 2), D(1955, 1, 1), "?", "yes", ""],
        ["P05", "f", D(2019, 9, 2), D(1960, 1, 1), "no", "no", ""]]
TREAT = [["Patient", "Regimen", "Start", "End", "Cycles", "Intent", "Best response"],
         ["P01", "HCVAD", "05/01/2018", "01/04/2018", "4", "frontline", "CR"],
         ["P01", "blinatumomab cyc 3", "10/02/2019", "20/05/2019", "3 (stopped early)", "salvage", "CR (MRD-neg)"],
         ["P02", "InO/mini-HCVD", "15/06/2019", "01/09/2019", "2", "bridge to SCT", "CRi"],
         ["P03", "Kymriah", "02/02/2020", "02/02/2020", "1", "salvage", "NR"],
         ["P04", "blina+dasatinib", "13/03/2020", "30/04/2020", "2", "Salvage ", "PR"],
         ["P05", "wonder drug", "13/05/2020", "", "", "?", ""]]
MARROW = [["Marrow morphology, center B"], [], ["Patient", "Date", "Blasts %", "Response"],
          ["P01", D(2019, 3, 1), "<5", "CR"], ["P02", D(2019, 9, 1), "approx 40", "PR"],
          ["P03", D(2020, 3, 1), "12 %", "NR"], ["P04", D(2020, 5, 1), ">95", "PD"]]
FLOW = [["Pt ID", "Sample date", "MRD", "CD19 %"], ["", "", "%", "%"],
        ["P01", D(2019, 3, 1), "not detected", 98], ["P02", D(2019, 9, 1), "<0.01 %", 90],
        ["P03", D(2020, 3, 1), "0.005%", 10], ["P04", D(2020, 5, 1), "failed sample", None]]
OUTCOMES = [["ID", "relapse_1_date", "relapse_1_site", "relapse_2_date", "relapse_2_site", "Vital status",
             "Last contact", "Date of death", "Cause of death"],
            ["P01", D(2019, 1, 1), "BM", D(2020, 1, 1), "CNS", "dead", D(2020, 6, 1), D(2020, 6, 1), "relapsed ALL"],
            ["P02", None, None, None, None, "alive", D(2021, 1, 1), None, None],
            ["P03", D(2020, 8, 1), "BM + CNS", None, None, "Dead", D(2020, 10, 1), D(2020, 10, 1),
             "sepsis after salvage"],
            ["P04", None, None, None, None, "alive", D(2021, 2, 1), None, None],
            ["P05", None, None, None, None, "alive", D(2021, 3, 1), None, None]]
TRANSPLANT = [["Patient", "SCT date", "Donor", "Graft", "Max aGVHD grade", "Status at SCT"],
              ["P02", D(2019, 10, 1), "haplo", "PBSC", "II", "CR MRD-"],
              ["P03", D(2020, 4, 1), "unrelated 8/8", "BM", "none", "CR"],
              ["P04", D(2020, 6, 1), "cord x2", "dUCB", "grade 3", "active disease"]]
INFO = [["Item", "Value"], ["Center", "Center B"], ["Data cut-off", "31/12/2021"], ["Version", "3"]]
SHEETS = {"Demographics": DEMO, "Treatments": TREAT, "Marrow": MARROW, "Flow": FLOW, "Outcomes": OUTCOMES,
          "Transplant": TRANSPLANT, "Info": INFO}


def make_book(path):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in SHEETS.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def drafted(tmp_path_factory):
    book = make_book(tmp_path_factory.mktemp("center") / "chart_review.xlsx")
    f = Findings()
    profile = scan.profile_data(book, f)
    assert not f.errors
    d = draft_mapping(profile, load_vocabularies())
    return book, d, YAML(typ="safe").load(d.text)


def _col(spec):
    return spec if isinstance(spec, str) else spec.get("column")


# the hand-written expectation: schema table -> (sources), schema column -> source header
EXPECTED_COLUMNS = {
    "patients": {"patient_id": "Study no.", "sex": "Gender", "diagnosis_date": "Dx date", "birth_date": "DOB",
                 "ph_status": "Ph+", "prior_allohsct": "prior SCT?"},
    "therapies": {"patient_id": "Patient", "therapy_class": "Regimen", "agents": "Regimen", "regimen": "Regimen",
                  "start_date": "Start", "end_date": "End", "cycles": "Cycles", "intent": "Intent",
                  "response_recorded": "Best response"},
    "assessments": {"patient_id": "Patient", "assessment_date": "Date", "bm_blast_pct": "Blasts %",
                    "mrd_value": "MRD", "cd19_pct_positive": "CD19 %", "response_recorded": "Response"},
    "transplants": {"patient_id": "Patient", "transplant_date": "SCT date", "donor_type": "Donor",
                    "graft_source": "Graft", "disease_status": "Status at SCT",
                    "agvhd_max_grade": "Max aGVHD grade"},
    "disease_events": {"patient_id": "ID", "event_date": "date", "site": "site", "cns_involved": "site"},
    "follow_up": {"patient_id": "ID", "vital_status": "Vital status", "last_contact_date": "Last contact",
                  "death_date": "Date of death", "death_cause": "Cause of death"},
}


def test_sources_and_tables(drafted):
    _, _, m = drafted
    assert m["mabseq_mapping"] == 1
    src = m["sources"]
    assert {k: v["sheet"] for k, v in src.items()} == {
        "demographics": "Demographics", "treatments": "Treatments", "marrow": "Marrow", "flow": "Flow",
        "outcomes": "Outcomes", "transplant": "Transplant", "info": "Info"}
    assert src["info"]["layout"] == "key_value"
    assert src["marrow"]["header_row"] == 3 and src["flow"]["skip_rows"] == [2]  # a title; a units row
    assert src["demographics"]["ignore_columns"] == ["Entered by"]
    # no onset date: not a toxicity episode, but the transplant-level maximum grade (transplants.agvhd_max_grade)
    assert "ignore_columns" not in src["transplant"]
    t = m["tables"]
    assert sorted(t) == sorted(["study", *EXPECTED_COLUMNS])
    assert t["patients"]["from"] == "demographics"
    assert t["therapies"]["from"] == "treatments"
    # two sheets -> one table: marrow joined with flow on patient and date
    assert t["assessments"]["from"] == "marrow"
    assert t["assessments"]["join"] == [{"source": "flow", "on": {"Patient": "Pt ID", "Date": "Sample date"},
                                         "how": "full"}]
    # specimen from the sheet "Marrow", the MRD assay from the sheet "Flow"; its limit of detection a person gives
    assert t["assessments"]["constants"] == {"specimen": "marrow", "mrd_method": "flow", "mrd_lod": "TODO"}
    # one sheet -> two tables: relapses unpivoted, vital status as follow-up
    assert t["disease_events"]["from"] == t["follow_up"]["from"] == "outcomes"
    assert t["disease_events"]["unpivot"] == {"columns": "relapse_{n}_{field}"}
    assert t["disease_events"]["constants"] == {"event_type": "relapse"}
    assert "unpivot" not in t["follow_up"]
    # study from the key/value sheet: the cut-off with its format; no study name -> TODO
    assert t["study"]["from"] == "info"
    assert t["study"]["columns"]["data_cutoff"] == {"column": "Data cut-off", "date": "%d/%m/%Y"}
    assert t["study"]["columns"]["study_name"] == {"value": "TODO"}


def test_column_assignments(drafted):
    _, _, m = drafted
    for table, cols in EXPECTED_COLUMNS.items():
        got = {k: _col(v) for k, v in m["tables"][table]["columns"].items() if v != "TODO" and "generate" not in v}
        assert got == cols, table
    assert m["tables"]["assessments"]["columns"]["mrd_value"]["source"] == "flow"
    assert m["tables"]["therapies"]["columns"]["course_id"] == {
        "generate": "sequence", "within": "patient_id", "order_by": "start_date", "format": "C{n}"}
    assert m["tables"]["patients"]["constants"]["diagnosis"] == "TODO"  # no diagnosis column: a person decides


def test_value_maps(drafted):
    _, _, m = drafted
    cols = {t: m["tables"][t]["columns"] for t in m["tables"]}
    assert cols["patients"]["sex"]["values"] == {"f": "female", "m": "male", "Male": "male"}
    assert cols["patients"]["ph_status"]["values"] == {"no": "negative", "?": "unknown", "y": "positive",
                                                       "yes": "positive"}
    assert cols["patients"]["prior_allohsct"]["values"] == {"no": "no", "unk": "unknown", "yes": "yes"}
    assert cols["therapies"]["therapy_class"]["values"] == {
        "HCVAD": "chemotherapy", "InO/mini-HCVD": "inotuzumab", "Kymriah": "car_t", "blina+dasatinib": "blinatumomab",
        "blinatumomab cyc 3": "blinatumomab", "wonder drug": "TODO"}
    assert cols["therapies"]["agents"]["values"]["blina+dasatinib"] == "blinatumomab;dasatinib"
    assert cols["therapies"]["regimen"]["values"] == {
        "HCVAD": "hyper-CVAD", "InO/mini-HCVD": "inotuzumab + mini-hyper-CVD", "Kymriah": "tisagenlecleucel",
        "blina+dasatinib": "blinatumomab + dasatinib", "blinatumomab cyc 3": "blinatumomab",
        "wonder drug": "wonder drug"}  # unknown to the vocabulary: kept as written, no decision needed
    assert cols["therapies"]["intent"]["values"] == {"salvage": "salvage", "?": "TODO", "bridge to SCT": "bridge",
                                                     "frontline": "frontline"}
    assert cols["therapies"]["response_recorded"]["values"] == {"CR": "cr", "CR (MRD-neg)": "cr", "CRi": "cri",
                                                                "NR": "nr", "PR": "pr"}
    assert cols["transplants"]["donor_type"]["values"] == {"cord x2": "cord", "haplo": "haploidentical",
                                                           "unrelated 8/8": "matched_unrelated"}
    assert cols["transplants"]["graft_source"]["values"] == {"BM": "bm", "PBSC": "pbsc", "dUCB": "ucb_double"}
    assert cols["transplants"]["disease_status"]["values"] == {"CR": "cr_mrd_unknown", "CR MRD-": "cr_mrd_negative",
                                                               "active disease": "not_in_cr"}
    assert cols["disease_events"]["site"]["values"] == {"BM": "marrow", "BM + CNS": "combined", "CNS": "cns"}
    assert cols["follow_up"]["vital_status"]["values"] == {"alive": "alive", "Dead": "dead"}  # and 'dead' 
    assert cols["follow_up"]["death_cause"]["values"] == {"relapsed ALL": "progression",
                                                          "sepsis after salvage": "infection"}


def _norm(v) -> str:
    return " ".join(str(v).split()).casefold()


def test_every_distinct_value_is_listed_with_its_count(drafted):
    """Oracle: the workbook's own cells, counted here with openpyxl (not through the scan)."""
    book, d, m = drafted
    wb = openpyxl.load_workbook(book)
    checks = [("patients", "sex", "Demographics", "Gender"), ("therapies", "intent", "Treatments", "Intent"),
              ("therapies", "therapy_class", "Treatments", "Regimen"),
              ("follow_up", "vital_status", "Outcomes", "Vital status"),
              ("transplants", "donor_type", "Transplant", "Donor")]
    for table, col, sheet, header in checks:
        ws = wb[sheet]
        rows = list(ws.iter_rows(values_only=True))
        j = rows[0].index(header)
        counts = Counter(_norm(r[j]) for r in rows[1:] if r[j] is not None and str(r[j]).strip())
        listed = {_norm(k) for k in m["tables"][table]["columns"][col]["values"]}
        assert listed == set(counts), (table, col)
    # the counts are written beside the values
    assert '"f": "female" # 3 cells; also written \'F\'' in d.text
    assert '"wonder drug": TODO # 1 cell' in d.text


def test_number_parsers_and_todos(drafted):
    _, d, m = drafted
    a = m["tables"]["assessments"]["columns"]
    # a cell with a % sign is read as percent anyway, and blasts are percents: no `unit` needed for either
    assert a["bm_blast_pct"]["number"] == {"below": "TODO", "above": "TODO", "approx": "TODO"}
    assert a["mrd_value"]["number"] == {"below": "TODO", "negative": ["not detected"], "missing": ["failed sample"]}
    assert m["tables"]["therapies"]["columns"]["cycles"]["number"] == {"leading": True}
    assert m["tables"]["therapies"]["columns"]["start_date"]["date"] == "%d/%m/%Y"
    # every TODO is counted, and the header comment of each table says what was assigned
    n_todo = d.text.count(": TODO") + d.text.count("- TODO") + d.text.count("[TODO")
    # hand count: study_name, diagnosis, 'wonder drug' (class, agents), intent '?', blasts below/above/approx,
    # MRD below, MRD limit of detection
    assert d.todo == 10 and n_todo >= d.todo
    assert "# patients <- sheet \"Demographics\": 6 of 7 columns assigned (6 sure, 0 likely), 1 TODO" in d.text


def test_the_draft_is_deterministic(tmp_path, drafted):
    book, d, _ = drafted
    again = draft_mapping(scan.profile_data(book, Findings()), load_vocabularies())
    assert again.text == d.text


# ---- hand-built profiles (no workbook): cases the test workbook does not hold -----------------------------------
def _colp(header, values, inferred, patterns=None, date_formats=None, empty=0, id_like=False, position=0):
    from mabseq.scan.columns import ColumnProfile
    vals = sorted(Counter(values).items(), key=lambda kv: (-kv[1], kv[0]))
    return ColumnProfile(header, "A", position, len(values), empty, inferred, len(vals), vals, patterns or {},
                         date_formats or {}, id_like, inferred == "text")


def _profile(*sources):
    from mabseq.scan.profile import DataProfile
    return DataProfile("hand.xlsx", list(sources))


def _sheet(name, columns, n_rows=4, decimal="."):
    from mabseq.scan.profile import SourceProfile
    return SourceProfile(name, f"hand.xlsx [sheet {name}]", "sheet", "table", 1, [], n_rows, None, decimal,
                         columns, [], None)


def test_ambiguous_dates_fraction_units_and_unknown_words_are_todo():
    labs = _sheet("MRD results", [
        _colp("Patient ID", ["A1", "A2", "A3", "A4"], "id", id_like=True),
        _colp("Sample date", ["03/04/2020", "05/06/2020", "01/02/2021", "07/08/2021"], "date",
              {"text_date": 4}, {"%d/%m/%Y": 4, "%m/%d/%Y": 4}),
        _colp("MRD", ["0.01", "0.0005", "pending", "neg"], "mixed", {"number": 2, "text": 1, "negative_word": 1}),
    ])
    m = YAML(typ="safe").load(draft_mapping(_profile(labs), load_vocabularies()).text)
    cols = m["tables"]["assessments"]["columns"]
    assert cols["assessment_date"]["date"] == "TODO"       # 03/04/2020: April or March? only the center knows
    assert cols["mrd_value"]["number"]["unit"] == "TODO"  # 0.01: a fraction or a percent?
    assert cols["mrd_value"]["number"]["negative"] == ["neg"]
    assert cols["mrd_value"]["number"]["missing"] == ["pending", "TODO"] or \
        cols["mrd_value"]["number"]["missing"] == ["pending"]
    assert m["tables"]["assessments"]["constants"]["specimen"] == "TODO"  # "MRD results" names no specimen
    assert "dates" not in m                                # no global format when day/month order is open


def test_a_sheet_matching_no_table_is_named_as_not_used():
    junk = _sheet("Lookup lists", [_colp("Colour", ["red", "blue", "red", "green"], "category")])
    d = draft_mapping(_profile(junk), load_vocabularies())
    assert 'Not used: sheet "Lookup lists" (4 rows): it matched no table.' in d.text
    m = YAML(typ="safe").load(d.text)
    assert "lookup_lists" not in m["sources"] and m["tables"]["study"]["from"] == "TODO"


# ---- the command ------------------------------------------------------------------------------------------------
def _app():
    from mabseq.cli.draft_cmd import register
    app = typer.Typer()

    @app.callback()
    def cb():
        pass
    register(app)
    return app


def test_cli_writes_through_plan_file(tmp_path, drafted):
    book, d, _ = drafted
    out = tmp_path / "mapping.yaml"
    r = CliRunner().invoke(_app(), ["draft", str(book), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_text(encoding="utf-8") == d.text
    assert "TODO to decide" in r.output
    # never over an existing file without --overwrite, never over the input even with it
    r = CliRunner().invoke(_app(), ["draft", str(book), "--out", str(out)])
    assert r.exit_code == 2 and "--overwrite" in r.output
    r = CliRunner().invoke(_app(), ["draft", str(book), "--out", str(book), "--overwrite"])
    assert r.exit_code == 2 and "input" in r.output
    r = CliRunner().invoke(_app(), ["draft", str(book), "--out", str(out), "--overwrite"])
    assert r.exit_code == 0


def test_cli_bad_vocab_and_bad_data_exit_2_without_traceback(tmp_path, drafted):
    book, _, _ = drafted
    vocab = tmp_path / "vocab"
    vocab.mkdir()
    (vocab / "mine.yaml").write_text("vocabulary: sex\ncodes:\n  man: [x]\n", encoding="utf-8")
    out = tmp_path / "m.yaml"
    r = CliRunner().invoke(_app(), ["draft", str(book), "--out", str(out), "--vocab", str(vocab)])
    assert r.exit_code == 2 and "mine.yaml" in r.output and not out.exists()
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"PK\x03\x04 not a workbook")
    r = CliRunner().invoke(_app(), ["draft", str(bad), "--out", str(out)])
    assert r.exit_code == 2 and "Traceback" not in r.output and not out.exists()


def test_cli_user_vocab_changes_the_draft(tmp_path, drafted):
    book, _, _ = drafted
    vocab = tmp_path / "vocab"
    vocab.mkdir()
    (vocab / "drugs.yaml").write_text("vocabulary: drugs\nkind: drugs\nagents:\n"
                                      "  wonderdrug: {class: investigational, names: [wonder drug]}\n",
                                      encoding="utf-8")
    out = tmp_path / "m.yaml"
    r = CliRunner().invoke(_app(), ["draft", str(book), "--out", str(out), "--vocab", str(vocab)])
    assert r.exit_code == 0, r.output
    m = YAML(typ="safe").load(out.read_text(encoding="utf-8"))
    assert m["tables"]["therapies"]["columns"]["therapy_class"]["values"]["wonder drug"] == "investigational"


def test_blank_and_repeated_headers_are_named_by_letter_and_special_values_are_literal():
    cols = [_colp("Patient", ["A1", "A2", "A3", "A4"], "id", id_like=True),
            _colp("Gender", ["m", "f", "*", "re: x"], "category"),
            _colp("Date", ["2020-01-01"] * 4, "date", {"iso_date": 4}, {"%Y-%m-%d": 4}),
            _colp("Date", ["2020-02-01"] * 4, "date", {"iso_date": 4}, {"%Y-%m-%d": 4}),
            _colp("", ["x", "y", "x", "y"], "category")]
    for i, (c, letter) in enumerate(zip(cols, "ABCDE")):
        c.letter, c.position = letter, i
    sp = _sheet("Demographics", cols)
    prof = _profile(sp)
    text = draft_mapping(prof, load_vocabularies()).text
    assert [c.header for c in sp.columns] == ["Patient", "Gender", "Date", "Date", ""]  # the caller's profile
    m = YAML(typ="safe").load(text)
    assert m["sources"]["demographics"]["ignore_columns"] == ["C", "D", "E"]
    sex = m["tables"]["patients"]["columns"]["sex"]["values"]
    # "*" and "re: x" are values of the sheet, not the map's special keys: written as anchored expressions
    assert sex == {"f": "female", "m": "male", r"re:^\s*\*\s*$": "TODO", r"re:^\s*re:\s+x\s*$": "TODO"}
    import re as _re
    assert _re.search(r"^\s*\*\s*$", "*") and not _re.search(r"^\s*\*\s*$", "m")
    assert _re.search(r"^\s*re:\s+x\s*$", "re:  x", _re.I)


# the person's edits to the drafted mapping of the test workbook: each TODO decided (old line text -> new)
EDITS = [("study_name: {value: TODO}", 'study_name: {value: "Center B review"}'),
         ("diagnosis: TODO", "diagnosis: b_all"),
         ('"wonder drug": TODO', '"wonder drug": "investigational"'),
         ('"?": TODO', '"?": "other"'),
         ("below: TODO", "below: limit"), ("above: TODO", "above: limit"), ("approx: TODO", "approx: value"),
         ("mrd_lod: TODO", "mrd_lod: 0.0001")]


def test_draft_plus_decisions_gives_the_cohort(tmp_path, drafted):
    """End to end through the mapping loader (h13-mapcore): the draft, with only its TODOs decided, reads the
    workbook; the canonical values are checked against the workbook's cells worked out by hand."""
    pytest.importorskip("mabseq.mapping.execute")
    from mabseq.cohort import load_cohort
    from mabseq.mapping.draft_score import score
    book, d, _ = drafted
    text = d.text
    for old, new in EDITS:
        assert old in text
        text = text.replace(old, new)
    assert "TODO" not in "\n".join(line.split("#")[0] for line in text.splitlines())
    m = tmp_path / "mapping.yaml"
    m.write_text(text, encoding="utf-8")
    cohort, findings = load_cohort(book, mapping=m)
    assert not findings.errors, findings.summary_text()
    s = score(d.text, text)
    # hand count: study_name, diagnosis, "wonder drug" (class and agents), intent "?", the blasts line (below,
    # above, approx on one line), the MRD line, the MRD limit of detection
    assert s.lines_edited == 8
    pts = cohort["patients"].set_index("patient_id")
    assert sorted(pts.index) == ["P01", "P02", "P03", "P04", "P05"]
    assert pts.loc["P02", "sex"] == "female" and pts.loc["P03", "sex"] == "male"
    th = cohort["therapies"]
    p4 = th[th.patient_id == "P04"].sort_values("start_date")
    assert list(p4.therapy_class) == ["blinatumomab"] and list(p4.agents) == ["blinatumomab;dasatinib"]
    assert list(th[th.patient_id == "P01"].sort_values("start_date").course_id) == ["C1", "C2"]
    a = cohort["assessments"].set_index("patient_id")
    assert a.loc["P01", "mrd_value"] == 0 and abs(a.loc["P03", "mrd_value"] - 0.00005) < 1e-12
    assert a.loc["P02", "bm_blast_pct"] == 40 and a.loc["P01", "bm_blast_pct"] == 5
    ev = cohort["disease_events"]
    assert sorted(zip(ev.patient_id, ev.site)) == [("P01", "cns"), ("P01", "marrow"), ("P03", "combined")]
    fu = cohort["follow_up"].set_index("patient_id")
    assert fu.loc["P03", "death_cause"] == "infection" and fu.loc["P02", "vital_status"] == "alive"


def test_a_csv_folder_with_semicolons_and_decimal_commas(tmp_path):
    data = tmp_path / "export"
    data.mkdir()
    (data / "patients.csv").write_text("Patient no;Sex;Date of diagnosis\nB-01;m;03.04.2019\nB-02;f;15.05.2019\n"
                                       "B-03;m;20.06.2019\nb-04 ;f;01.07.2019\n", encoding="utf-8")
    (data / "labs.csv").write_text("Patient no;Date;Blasts (%);MRD (%)\nB-01;01.02.2020;12,5;0,01\n"
                                   "B-02;01.03.2020;7,25;negative\n", encoding="utf-8")
    d = draft_mapping(scan.profile_data(data, Findings()), load_vocabularies())
    m = YAML(typ="safe").load(d.text)
    assert m["sources"]["labs"] == {"file": "labs.csv", "header_row": 1, "delimiter": ";", "decimal": ","}
    a = m["tables"]["assessments"]["columns"]
    assert a["patient_id"] == "Patient no"
    # 01.02.2020: day or month first? the other file settles it for itself only: TODO, with the hint
    assert a["assessment_date"] == {"column": "Date", "date": "TODO"}
    assert "other columns of DATA are written %d.%m.%Y (4 cells)" in d.text
    assert a["bm_blast_pct"] == "Blasts (%)"  # percents already, decimal comma at the source: no parser needed
    assert a["mrd_value"]["number"] == {"unit": "percent", "negative": ["negative"]}
    assert m["tables"]["patients"]["columns"]["diagnosis_date"] == {"column": "Date of diagnosis", "date": "%d.%m.%Y"}


def test_per_cycle_rows_get_a_collapse_whose_gap_a_person_chooses():
    sp = _sheet("Chemo cycles", [
        _colp("Patient", ["A1", "A1", "A2", "A3"], "id", id_like=True),
        _colp("Drug", ["blinatumomab", "blinatumomab", "HCVAD", "POMP"], "category"),
        _colp("Cycle", ["1", "2", "1", "1"], "integer", {"integer": 4}),
        _colp("Start", ["2020-01-01", "2020-02-12", "2020-03-01", "2020-04-01"], "date", {"iso_date": 4},
              {"%Y-%m-%d": 4}),
        _colp("End", ["2020-01-28", "2020-03-10", "2020-03-20", "2020-06-01"], "date", {"iso_date": 4},
              {"%Y-%m-%d": 4})])
    for i, c in enumerate(sp.columns):
        c.letter, c.position = "ABCDE"[i], i
    d = draft_mapping(_profile(sp), load_vocabularies())
    m = YAML(typ="safe").load(d.text)
    t = m["tables"]["therapies"]
    assert t["collapse"] == {"within": "Patient", "same": ["Drug"], "order_by": "Start", "gap_days": "TODO",
                             "start": "Start", "end": "End", "cycles": "count"}
    assert t["columns"]["cycles"] == {"value": 1}      # no count column: the collapse's count replaces it
    assert "ignore_columns" not in m["sources"]["chemo_cycles"]
    assert 'rows have a cycle number in "Cycle"' in d.text
    # some rows per course (no cycle number), some per cycle: two blocks split by a filter; the count column kept
    sp.columns[2] = _colp("Cycle no.", ["1", "2"], "integer", {"integer": 2}, empty=2, position=2)
    sp.columns.append(_colp("No. cycles", ["3 (stopped early)", "2", "1", "1"], "mixed", {"leading_number": 1,
                                                                                        "integer": 3}, position=5))
    m = YAML(typ="safe").load(draft_mapping(_profile(sp), load_vocabularies()).text)
    a, b = m["tables"]["therapies"]
    assert a["where"] == [{"column": "Cycle no.", "empty": True}] and "collapse" not in a
    assert b["where"] == [{"column": "Cycle no.", "empty": False}] and b["collapse"]["gap_days"] == "TODO"
    assert a["columns"]["cycles"] == b["columns"]["cycles"] == {"column": "No. cycles", "number": {"leading": True}}
    assert a["columns"]["therapy_class"] == b["columns"]["therapy_class"]


def test_ids_with_and_without_dashes_across_sheets_and_likely_headers():
    demo = _sheet("Demographics", [_colp("Study no.", ["P-01", "P-02", "P-03", "P-04"], "id", id_like=True),
                                   _colp("Gendr", ["m", "f", "m", "f"], "category", position=1)])
    outc = _sheet("Survival", [_colp("ID", ["P01", "P02", "P03", "P04"], "id", id_like=True),
                               _colp("Vital status", ["alive", "dead", "alive", "alive"], "category", position=1),
                               _colp("Last contact", ["2021-01-01"] * 4, "date", {"iso_date": 4}, {"%Y-%m-%d": 4},
                                     position=2)])
    d = draft_mapping(_profile(demo, outc), load_vocabularies())
    m = YAML(typ="safe").load(d.text)
    assert m["ids"] == {"strip": True, "case": "upper", "remove": ["-"]}
    assert "4 patient ids are written with and without '-'" in d.text
    assert m["tables"]["patients"]["columns"]["sex"]["column"] == "Gendr"
    assert "sex:" in d.text and "likely (similar name, score" in d.text
    assert "(1 sure, 1 likely)" in d.text
    # the same ids everywhere: no dash rule
    outc.columns[0] = _colp("ID", ["P-01", "P-02", "P-03", "P-04"], "id", id_like=True)
    assert "remove" not in YAML(typ="safe").load(draft_mapping(_profile(demo, outc), load_vocabularies()).text)["ids"]


from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

_WORDS = ["Patient", "ID", "Date", "Gender", "re:x", "*", "", " ", "TODO", "yes", "no", "1/2", "<5", "~3", "12 %",
          "2020-01-01", "03/04/2020", "relapse_1_date", "relapse_2_date", "relapse_1_site", "relapse_2_site",
          "Data cut-off", "31/12/2021", "Regimen", "blina", "Vital status", "dead", "Start", "Cycle", "MRD",
          "null", "~", "true", "- x", "a: b", "#c", "x\ny", "'q'", '"dq"', "\u2028", "é€"]
_cell = st.one_of(st.sampled_from(_WORDS), st.text(max_size=6))


_VOCAB = []


def _shipped_vocab():
    if not _VOCAB:
        _VOCAB.append(load_vocabularies())
    return _VOCAB[0]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.lists(_cell, min_size=3, max_size=3), min_size=1, max_size=6), min_size=1, max_size=3))
def test_any_sheet_gives_a_loadable_deterministic_draft(sheets):
    """Whatever the cells: no exception, YAML that loads, the same bytes twice, every value of a coded column."""
    from mabseq.cohort.grid import Grid
    grids = []
    for i, rows in enumerate(sheets):
        rows = [r for r in rows if any(c.strip() for c in r)]
        grids.append(Grid(f"S{i}", f"b.xlsx [sheet S{i}]", "sheet", rows, list(range(1, len(rows) + 1)), 3))
    prof = scan.profile_grids("b.xlsx", grids, Findings())
    v = _shipped_vocab()
    d = draft_mapping(prof, v)
    assert draft_mapping(prof, v).text == d.text
    m = YAML(typ="safe").load(d.text)
    assert m["mabseq_mapping"] == 1
    for t, blocks in m["tables"].items():
        for b in blocks if isinstance(blocks, list) else [blocks]:
            for spec in (b.get("columns") or {}).values():
                if isinstance(spec, dict) and isinstance(spec.get("values"), dict):
                    assert spec["values"]  # never an empty map


def test_hla_fractions_give_matched_and_typed_counts():
    sp = _sheet("Transplant", [
        _colp("Patient", ["A1", "A2", "A3", "A4"], "id", id_like=True),
        _colp("SCT date", ["2020-01-01"] * 4, "date", {"iso_date": 4}, {"%Y-%m-%d": 4}, position=1),
        _colp("HLA match", ["8/8", "7/8", "10/10", "haplo"], "mixed", {"fraction": 3, "text": 1}, position=2)])
    m = YAML(typ="safe").load(draft_mapping(_profile(sp), load_vocabularies()).text)
    c = m["tables"]["transplants"]["columns"]
    # a number parser would read 7/8 as 0.875: the counts come from a value map
    assert c["hla_matched"] == {"column": "HLA match", "values": {"10/10": "10", "7/8": "7", "8/8": "8",
                                                                 "haplo": "TODO"}}
    assert c["hla_typed"] == {"column": "HLA match", "values": {"10/10": "10", "7/8": "8", "8/8": "8",
                                                               "haplo": "TODO"}}
    assert c["donor_type"] == "TODO" and c["graft_source"] == "TODO"  # required, no column: a person decides


def test_cli_encoding_and_delimiter_options(tmp_path):
    data = tmp_path / "export"
    data.mkdir()
    (data / "patients.csv").write_bytes("Patient no|Sex|Date of diagnosis|Notes\nB-01|m|2019-04-03|Müller\n"
                                        "B-02|f|2019-05-15|\n".encode("cp1252"))
    out = tmp_path / "m.yaml"
    r = CliRunner().invoke(_app(), ["draft", str(data), "--out", str(out)])
    assert r.exit_code == 2 and "not UTF-8" in r.output and not out.exists()
    r = CliRunner().invoke(_app(), ["draft", str(data), "--out", str(out), "--encoding", "cp1252",
                                    "--delimiter", "|"])
    assert r.exit_code == 0, r.output
    m = YAML(typ="safe").load(out.read_text(encoding="utf-8"))
    assert m["sources"]["patients"]["encoding"] == "cp1252" and m["sources"]["patients"]["delimiter"] == "|"
    r = CliRunner().invoke(_app(), ["draft", str(data), "--out", str(out), "--encoding", "ebcdic", "--overwrite"])
    assert r.exit_code == 2 and "--encoding must be one of" in r.output


def test_a_sheet_with_several_rows_per_patient_is_no_follow_up_table():
    cols = [_colp("ID", ["A1", "A1", "A2", "A2"], "id", id_like=True),
            _colp("Vital status", ["alive", "alive", "dead", "dead"], "category", position=1),
            _colp("Last contact", ["2021-01-01"] * 4, "date", {"iso_date": 4}, {"%Y-%m-%d": 4}, position=2)]
    sp = _sheet("Follow-up", cols)
    assert "follow_up" in YAML(typ="safe").load(draft_mapping(_profile(sp), load_vocabularies()).text)["tables"]
    sp.rows_per_id = {2: 2}  # the scan: 2 patients with 2 rows each
    d = draft_mapping(_profile(sp), load_vocabularies())
    assert "follow_up" not in YAML(typ="safe").load(d.text)["tables"]
    assert 'Not used: sheet "Follow-up"' in d.text
