"""The shipped vocabularies (data/vocab/*.yaml) and their loader: every file loads, every code is a schema choice,
no term gives two codes, the user's files extend and override them, and bad files are refused with file and line."""
from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from mabseq.cohort.schema import BY_NAME, THERAPIES
from mabseq.mapping.vocab import VocabError, load_vocabularies, shipped_dir

_SHIPPED = None


def _shipped():
    global _SHIPPED
    if _SHIPPED is None:
        _SHIPPED = load_vocabularies()
    return _SHIPPED


VOCAB_DIR = Path(__file__).resolve().parents[1] / "src" / "mabseq" / "data" / "vocab"


def _raw_files():
    return sorted(VOCAB_DIR.glob("*.yaml"))


def _raw_code_vocabs():
    """(file, vocabulary body) for every coded vocabulary, read straight from the files (not via the loader)."""
    out = []
    for f in _raw_files():
        body = YAML(typ="safe").load(f.read_text(encoding="utf-8"))
        items = body["vocabularies"] if "vocabularies" in body else [body]
        for it in items:
            if it.get("kind", "codes") == "codes":
                out.append((f.name, it))
    return out


def _schema_takes(column: str, code: str) -> bool:
    table, col = column.split(".")
    c = BY_NAME[table][col]
    if c.type == "category":
        return code in [k for k, _ in c.choices]
    if c.type == "integer":
        return code.isdigit() and c.min <= int(code) <= c.max
    return False


def test_shipped_folder_is_the_package_data():
    assert shipped_dir().resolve() == VOCAB_DIR.resolve()
    assert len(_raw_files()) >= 18


def test_every_shipped_file_loads_and_has_a_comment_header():
    v = load_vocabularies()
    assert len(v.files) == len(_raw_files())
    for f in _raw_files():
        assert f.read_text(encoding="utf-8").startswith("#"), f.name
    # the kinds the draft needs are all there
    assert v.drugs.names and v.tables["patients"].columns["sex"] and v.negative_words and v.missing_words
    for col in ("patients.sex", "transplants.donor_type", "transplants.graft_source", "toxicity_episodes.grade",
                "transplants.disease_status", "follow_up.death_cause", "therapies.intent",
                "disease_events.event_type", "disease_events.site", "therapies.response_recorded",
                "assessments.response_recorded", "patients.prior_allohsct", "assessments.specimen"):
        t, c = col.split(".")
        assert v.for_column(t, c) is not None, col


def _by_name():
    """vocabulary name -> (columns, recode, [(file, body)]) over all shipped files (a language file extends)."""
    out = {}
    for fname, body in _raw_code_vocabs():
        cols, recode, parts = out.setdefault(body["vocabulary"], ([], {}, []))
        cols += [c for c in body.get("columns") or [] if c not in cols]
        recode.update(body.get("recode") or {})
        parts.append((fname, body))
    return out


def test_every_code_is_a_choice_of_one_of_its_columns():
    for name, (columns, recode, parts) in _by_name().items():
        assert columns, f"{name}: no file names its columns"
        for fname, body in parts:
            codes = [str(c) for c in body["codes"]] + [str(p["code"]) for p in body.get("patterns") or []]
            for code in codes:
                ok = any(_schema_takes(col, str((recode.get(col) or {}).get(code, code))) for col in columns)
                assert ok, f"{fname} {name}: {code!r}"
    drugs = YAML(typ="safe").load((VOCAB_DIR / "drugs.yaml").read_text(encoding="utf-8"))
    classes = [k for k, _ in THERAPIES["therapy_class"].choices]
    for name, spec in drugs["agents"].items():
        assert spec["class"] in classes, name
    for name, spec in drugs["regimens"].items():
        assert spec["class"] in classes, name
        for a in spec["agents"]:
            assert a in drugs["agents"], f"regimen {name}: agent {a} is not an agent entry"


def _key(t) -> str:
    return " ".join(str(t).split()).casefold()


def test_no_term_gives_two_codes_in_one_vocabulary():
    """Across all shipped files of one vocabulary (a language file must not silently re-code an English term)."""
    for name, (_, _, parts) in _by_name().items():
        seen = {}
        for fname, body in parts:
            for code, terms in body["codes"].items():
                for t in terms:
                    k = _key(t)
                    assert seen.get(k, (code, fname))[0] == code, \
                        f"{name}: {t!r} -> {seen[k][0]} ({seen[k][1]}) and {code} ({fname})"
                    seen[k] = (code, fname)
        for fname, body in parts:
            for t in body.get("ambiguous") or []:
                assert _key(t) not in seen, f"{fname}: {t!r} is ambiguous and has a code"
    drugs = YAML(typ="safe").load((VOCAB_DIR / "drugs.yaml").read_text(encoding="utf-8"))
    seen = {}
    for kind in ("agents", "regimens"):
        for name, spec in drugs[kind].items():
            for n in [name] + list(spec.get("names") or []):
                k = "".join(ch for ch in str(n).casefold() if ch.isalnum())
                assert seen.get(k, name) == name, f"drug name {n!r} -> {seen[k]} and {name}"
                seen[k] = name


# hand-written expectations (the wording of real chart reviews -> the schema's code)
TERMS = [
    ("patients.sex", "m", "male"), ("patients.sex", "F", "female"), ("patients.sex", "Male", "male"),
    ("patients.prior_allohsct", "y", "yes"), ("patients.prior_allohsct", "Y", "yes"),
    ("patients.prior_allohsct", "unk", "unknown"), ("patients.prior_allohsct", "?", "unknown"),
    ("patients.prior_allohsct", "n/a", "unknown"), ("patients.prior_allohsct", "1", "yes"),
    ("patients.prior_allohsct", "0", "no"), ("patients.prior_allohsct", "no", "no"),
    ("therapies.response_recorded", "CR (MRD-neg)", "cr"), ("therapies.response_recorded", "CRi", "cri"),
    ("therapies.response_recorded", "CRh", "crh"), ("therapies.response_recorded", "PR", "pr"),
    ("therapies.response_recorded", "NR", "nr"), ("therapies.response_recorded", "refractory", "nr"),
    ("therapies.response_recorded", "PD", "pd"), ("assessments.response_recorded", "relapse", "relapse"),
    ("patients.frontline_response", "refractory", "refractory"), ("patients.frontline_response", "CR", "cr"),
    ("transplants.donor_type", "haplo", "haploidentical"), ("transplants.donor_type", "MSD", "matched_sibling"),
    ("transplants.donor_type", "sib", "matched_sibling"), ("transplants.donor_type", "MUD", "matched_unrelated"),
    ("transplants.donor_type", "unrelated 8/8", "matched_unrelated"),
    ("transplants.donor_type", "7/8 MMUD", "mismatched_unrelated"), ("transplants.donor_type", "cord x2", "cord"),
    ("transplants.donor_type", "dUCB", "cord"), ("transplants.graft_source", "cord x2", "ucb_double"),
    ("transplants.graft_source", "dUCB", "ucb_double"), ("transplants.graft_source", "PBSC", "pbsc"),
    ("toxicity_episodes.grade", "II", "2"), ("toxicity_episodes.grade", "grade II", "2"),
    ("toxicity_episodes.grade", "three", "3"), ("toxicity_episodes.grade", "none", "0"),
    ("toxicity_episodes.grade", "IV", "4"), ("transplants.disease_status", "CR2 MRD-", "cr_mrd_negative"),
    ("transplants.disease_status", "CR1, MRD+", "cr_mrd_positive"), ("transplants.disease_status", "CR", "cr_mrd_unknown"),
    ("transplants.disease_status", "active disease", "not_in_cr"),
    ("follow_up.death_cause", "relapsed ALL", "progression"), ("follow_up.death_cause", "septic shock", "infection"),
    ("follow_up.death_cause", "steroid-refractory aGVHD", "gvhd"), ("follow_up.death_cause", "VOD", "sos"),
    ("therapies.intent", "bridge to SCT", "bridge"), ("therapies.intent", "salvage 2", "salvage"),
    ("disease_events.site", "BM + CNS", "combined"), ("disease_events.site", "CNS", "cns"),
    ("disease_events.event_type", "relapse", "relapse"), ("assessments.specimen", "Marrow", "marrow"),
    # German (codes_de.yaml): extends the same vocabularies
    ("patients.sex", "weiblich", "female"), ("patients.prior_allohsct", "ja", "yes"),
    ("patients.prior_allohsct", "unbekannt", "unknown"), ("follow_up.vital_status", "verstorben", "dead"),
    ("disease_events.event_type", "Rezidiv", "relapse"), ("disease_events.site", "KM + ZNS", "combined"),
    ("follow_up.death_cause", "Rezidiv der ALL", "progression"), ("assessments.cd19_call", "schwach", "dim"),
]


@pytest.mark.parametrize("column,term,code", TERMS)
def test_known_terms(column, term, code):
    v = _shipped()
    t, c = column.split(".")
    s = v.for_column(t, c).lookup(term, column)
    assert s is not None and s.code == code


def test_unknown_and_ambiguous_terms_are_not_guessed():
    v = load_vocabularies()
    assert v.for_column("patients", "sex").lookup("1", "patients.sex") is None  # 1 = male or female?
    assert v.for_column("follow_up", "vital_status").lookup("yes", "follow_up.vital_status") is None
    assert v.for_column("transplants", "graft_source").lookup("cord", "transplants.graft_source") is None
    assert v.for_column("follow_up", "death_cause").lookup("xyz", "follow_up.death_cause") is None
    # a code that is not a choice of the column being drafted is not suggested there
    assert v.for_column("therapies", "response_recorded").lookup("relapse", "therapies.response_recorded") is None


DRUGS = [
    ("Blincyto", "blinatumomab", "blinatumomab"), ("blina", "blinatumomab", "blinatumomab"),
    ("blinatumomab cyc 3", "blinatumomab", "blinatumomab"), ("Besponsa", "inotuzumab", "inotuzumab"),
    ("InO", "inotuzumab", "inotuzumab"), ("inotuzumab ozogamicin", "inotuzumab", "inotuzumab"),
    ("InO/mini-HCVD", "inotuzumab", "inotuzumab;cyclophosphamide;vincristine;dexamethasone;methotrexate;cytarabine"),
    ("Kymriah", "car_t", "tisagenlecleucel"), ("tisagenlecleucel", "car_t", "tisagenlecleucel"),
    ("Tecartus", "car_t", "brexucabtagene autoleucel"), ("obecabtagene", "car_t", "obecabtagene autoleucel"),
    ("investigational CAR-T", "car_t", "car-t"),
    ("HCVAD", "chemotherapy", "cyclophosphamide;vincristine;doxorubicin;dexamethasone;methotrexate;cytarabine"),
    ("hyper-CVAD", "chemotherapy", "cyclophosphamide;vincristine;doxorubicin;dexamethasone;methotrexate;cytarabine"),
    ("FLAG-IDA", "chemotherapy", "fludarabine;cytarabine;idarubicin"),
    ("POMP", "chemotherapy", "mercaptopurine;vincristine;methotrexate;prednisone"),
    ("CALGB 10403", "chemotherapy", None), ("dasatinib", "tki", "dasatinib"), ("Sprycel", "tki", "dasatinib"),
    ("Iclusig", "tki", "ponatinib"), ("imatinib", "tki", "imatinib"), ("nilotinib", "tki", "nilotinib"),
    ("blina+dasatinib", "blinatumomab", "blinatumomab;dasatinib"), ("IT MTX", "intrathecal", None),
    ("Hyper-CVAD + ponatinib", "chemotherapy", None), ("blinatumumab", "blinatumomab", "blinatumomab"),
]


@pytest.mark.parametrize("text,cls,agents", DRUGS)
def test_drug_names(text, cls, agents):
    m = _shipped().drugs.lookup(text)
    assert m is not None and m.therapy_class == cls
    if agents is not None:
        assert ";".join(m.agents) == agents


def test_a_combination_with_an_unknown_part_is_left_undecided():
    d = load_vocabularies().drugs
    assert d.lookup("blina + wonderdrug") is None
    assert d.lookup("") is None


def test_user_files_extend_and_override(tmp_path):
    (tmp_path / "sex.yaml").write_text("vocabulary: sex\ncodes:\n  unknown: [m]\n  female: [frau]\n",
                                       encoding="utf-8")
    (tmp_path / "drugs_mine.yml").write_text(
        "vocabulary: drugs\nkind: drugs\nagents:\n  blinatumomab: {class: blinatumomab, names: [bliny]}\n"
        "  wonderdrug: {class: investigational, names: [wd-1]}\n", encoding="utf-8")
    (tmp_path / "ward.yaml").write_text(
        "vocabulary: oxygen_mine\ncolumns: [toxicity_observations.oxygen]\ncodes:\n  high_flow: [optiflow]\n",
        encoding="utf-8")
    (tmp_path / "cols.yaml").write_text(
        "vocabulary: columns\nkind: columns\ntables:\n  patients:\n    columns:\n      sex: [geschlecht]\n",
        encoding="utf-8")
    v = load_vocabularies(tmp_path)
    sex = v.for_column("patients", "sex")
    assert sex.lookup("m", "patients.sex").code == "unknown"       # the user's code wins
    assert sex.lookup("Frau", "patients.sex").code == "female"     # added
    assert sex.lookup("f", "patients.sex").code == "female"        # the shipped terms stay
    assert v.drugs.lookup("bliny").therapy_class == "blinatumomab"
    assert v.drugs.lookup("wd-1 + dasatinib").therapy_class == "investigational"
    assert v.for_column("toxicity_observations", "oxygen").lookup("Optiflow").code == "high_flow"
    assert "geschlecht" in v.tables["patients"].columns["sex"]
    # the shipped vocabulary is unchanged for the next caller
    assert load_vocabularies().for_column("patients", "sex").lookup("m", "patients.sex").code == "male"


@pytest.mark.parametrize("text,needle", [
    ("vocabulary: sex\ncodes:\n  male: [x]\n  female: [x]\n", "line 4"),
    ("vocabulary: sex\ncodes:\n  man: [x]\n", "'man' is not a choice"),
    ("vocabulary: newone\ncodes:\n  a: [b]\n", "needs `columns:`"),
    ("vocabulary: sex\ncodes: [1, 2\n", "not valid YAML"),
    ("vocabulary: v\ncolumns: [patients.nope]\ncodes: {}\n", "not a schema column"),
    ("vocabulary: sex\npatterns:\n  - {re: '(', code: male}\n", "regular expression"),
    ("vocabulary: drugs\nkind: drugs\nagents:\n  x: {class: pills, names: []}\n", "class must be one of"),
    ("vocabulary: sex\nkind: weird\n", "unknown kind"),
])
def test_bad_user_files_are_refused_with_file_and_line(tmp_path, text, needle):
    f = tmp_path / "bad.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(VocabError) as e:
        load_vocabularies(tmp_path)
    assert "bad.yaml" in str(e.value) and needle in str(e.value)


def test_vocab_folder_must_exist_and_hold_files(tmp_path):
    with pytest.raises(VocabError, match="must be a folder"):
        load_vocabularies(tmp_path / "nope")
    with pytest.raises(VocabError, match="no .yaml"):
        load_vocabularies(tmp_path)
