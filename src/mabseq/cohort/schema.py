"""The canonical cohort model: every table and column, in one place.

This module is the single source of truth. The Excel and REDCap templates, the column reference
(`docs/COHORT_SCHEMA.md`), the importers' coercion and the validator are all generated from it.

Conventions (clinical-criteria spec, section 0): dates are calendar dates; MRD is a fraction (0.01% = 1e-4); counts
are x10^9/L; bilirubin is mg/dL; TBI is cGy; doses are totals per course. A coded column stores the code (left
column of its choices); importers also accept the label, in any letter case.
"""
from __future__ import annotations

from dataclasses import dataclass, field

TYPES = ("string", "integer", "number", "date", "boolean", "category")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    unit: str = ""
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()  # (code, label) for type "category"
    min: float | None = None
    max: float | None = None
    references: str = ""  # "table.column" this value must exist in
    vocabulary: tuple[tuple[str, str], ...] = ()  # for a ';'-separated list: the usual items (REDCap checkboxes)

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type!r}")
        if (self.type == "category") != bool(self.choices):
            raise ValueError(f"column {self.name}: choices go with type 'category' only")

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.choices)


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    one_row_per_patient: bool = False
    _by_name: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name}: duplicate column names")
        object.__setattr__(self, "_by_name", {c.name: c for c in self.columns})
        for k in self.key:
            if k not in self._by_name:
                raise ValueError(f"table {self.name}: key column {k} is not a column")

    def __getitem__(self, name: str) -> Column:
        return self._by_name[name]

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _ch(*pairs: str) -> tuple[tuple[str, str], ...]:
    """Choices from 'code=Label' strings (a bare code is its own label)."""
    out = []
    for p in pairs:
        code, _, label = p.partition("=")
        out.append((code, label or code))
    return tuple(out)


YES_NO_UNKNOWN = _ch("yes=Yes", "no=No", "unknown=Unknown")
ANTIGEN_CALL = _ch("negative=Negative", "dim=Dim", "positive=Positive")
PID = Column("patient_id", "string", "Study ID of the patient (no names, MRNs or dates of birth in it)", required=True,
             references="patients.patient_id")

# --------------------------------------------------------------------------------------------------------------
STUDY = Table("study", "The study: one row", ("study_name",), (
    Column("study_name", "string", "Short name of the study", required=True),
    Column("data_cutoff", "date", "Data cut-off date: events after it are ignored, follow-up is censored at it",
           required=True),
    Column("center", "string", "Center or registry the data come from"),
    Column("enrollment_start", "date", "First eligible mAb1 start date"),
    Column("enrollment_end", "date", "Last eligible mAb1 start date"),
    Column("dates_shifted", "category", "Every patient's dates are shifted by a per-patient offset (mabseq "
           "deidentify): intervals within a patient are kept, the time from a patient's dates to the cut-off is not",
           choices=_ch("yes=Yes", "no=No")),
), one_row_per_patient=False)

PATIENTS = Table("patients", "One row per patient: diagnosis, baseline disease features and history", ("patient_id",), (
    Column("patient_id", "string", "Study ID of the patient (no names, MRNs or dates of birth in it)", required=True),
    Column("diagnosis", "category", "Leukemia diagnosis; the study includes B-ALL only", required=True,
           choices=_ch("b_all=B-ALL", "t_all=T-ALL", "mpal=Mixed phenotype acute leukemia", "aml=AML",
                       "other=Other")),
    Column("sex", "category", "Sex", required=True, choices=_ch("male=Male", "female=Female", "unknown=Unknown")),
    Column("birth_date", "date", "Date of birth (give this or age_at_diagnosis; it never leaves the cohort file)"),
    Column("age_at_diagnosis", "number", "Age at diagnosis, when the date of birth is not recorded", unit="years",
           min=0, max=110),
    Column("diagnosis_date", "date", "Date of diagnosis of ALL", required=True),
    Column("ph_status", "category", "Philadelphia chromosome / BCR::ABL1 at diagnosis",
           choices=_ch("positive=Positive", "negative=Negative", "unknown=Unknown")),
    Column("karyotype", "string", "Karyotype at diagnosis (ISCN)"),
    Column("modal_number", "integer", "Modal chromosome number", unit="chromosomes", min=20, max=100),
    Column("n_karyotype_abnormalities", "integer", "Number of structural and numerical abnormalities", min=0,
           max=60),
    Column("kmt2a", "category", "KMT2A (MLL) rearrangement at diagnosis",
           choices=_ch("rearranged=Rearranged", "not_rearranged=Not rearranged", "unknown=Unknown")),
    Column("kmt2a_partner", "string", "KMT2A fusion partner, e.g. AFF1 for t(4;11)"),
    Column("t_8_14", "category", "t(8;14)(q24;q32) / MYC::IGH", choices=YES_NO_UNKNOWN),
    Column("cytogenetic_risk_recorded", "category", "Cytogenetic risk as the center recorded it (UKALLXII/ECOG2993)",
           choices=_ch("high=High", "standard=Standard", "unknown=Unknown")),
    Column("frontline_response", "category", "Response to first-line induction",
           choices=_ch("cr=Complete remission", "refractory=Refractory", "unknown=Unknown")),
    Column("frontline_cr_date", "date", "Date of first complete remission"),
    Column("prior_lines_recorded", "integer", "Lines of therapy before mAb1 as the center counted them", min=0,
           max=20),
    Column("prior_allohsct", "category", "AlloHSCT before mAb1", choices=YES_NO_UNKNOWN),
    Column("prior_cart", "category", "CD19 CAR T-cell therapy before mAb1", choices=YES_NO_UNKNOWN),
    Column("emd_before_mab1", "category", "Any extramedullary disease from diagnosis up to mAb1",
           choices=YES_NO_UNKNOWN),
    Column("no_transplant_reason", "category", "For patients without alloHSCT after mAb2: the recorded reason",
           choices=_ch("active_disease=Active disease", "preference=Patient or physician preference",
                       "death=Death (treatment-related)", "other=Other")),
))

THERAPIES = Table("therapies", "One row per course of therapy (a line, a course of an antibody, CAR-T, ...)",
                  ("patient_id", "course_id"), (
    PID,
    Column("course_id", "string", "ID of the course, unique within the patient (e.g. C1, C2)", required=True),
    Column("therapy_class", "category", "What kind of therapy the course is", required=True,
           choices=_ch("blinatumomab=Blinatumomab", "inotuzumab=Inotuzumab ozogamicin",
                       "chemotherapy=Chemotherapy", "tki=Tyrosine kinase inhibitor alone",
                       "car_t=CAR T-cell therapy", "investigational=Investigational agent",
                       "intrathecal=Intrathecal therapy", "radiotherapy=Radiotherapy",
                       "cytoreduction=Steroid or hydroxyurea cytoreduction", "other=Other")),
    Column("regimen", "string", "Regimen name, e.g. hyper-CVAD, mini-hyper-CVD"),
    Column("agents", "string", "All agents of the course, separated by ';' (e.g. inotuzumab;vincristine)"),
    Column("start_date", "date", "First dose", required=True),
    Column("end_date", "date", "Last dose"),
    Column("cycles", "integer", "Number of cycles given", unit="cycles", min=0, max=50),
    Column("total_dose", "number", "Total dose of the course's main agent", min=0),
    Column("dose_unit", "category", "Unit of total_dose",
           choices=_ch("mg_m2=mg/m2", "mg_kg=mg/kg", "ug=micrograms", "mg=mg", "cells=cells")),
    Column("intent", "category", "Why the course was given",
           choices=_ch("frontline=Frontline (induction, consolidation, maintenance)", "salvage=Salvage",
                       "bridge=Bridge to transplant", "consolidation=Consolidation in remission",
                       "maintenance=Maintenance", "prophylaxis=CNS or other prophylaxis", "other=Other")),
    Column("disease_state_at_start", "category", "Disease at the start of the course",
           choices=_ch("morphologic=Morphologic disease", "mrd=Morphologic CR with MRD",
                       "cr_mrd_negative=CR, MRD negative", "unknown=Unknown")),
    Column("concurrent_tki", "string", "TKI given with the course, if any (e.g. ponatinib)"),
    Column("response_recorded", "category", "Best response to the course as the center recorded it",
           choices=_ch("cr=CR", "crh=CRh", "cri=CRi", "pr=PR", "nr=No response", "pd=Progression",
                       "not_evaluable=Not evaluable", "unknown=Unknown")),
))

DOSES = Table("doses", "Dose dates of a course (needed for inotuzumab: last dose to transplant)",
              ("patient_id", "course_id", "dose_date"), (
    PID,
    Column("course_id", "string", "Course the dose belongs to", required=True, references="therapies.course_id"),
    Column("dose_date", "date", "Date of the dose", required=True),
    Column("dose", "number", "Dose given", min=0),
    Column("dose_unit", "category", "Unit of dose", choices=_ch("mg_m2=mg/m2", "mg_kg=mg/kg", "ug=micrograms",
                                                                "ug_day=micrograms/day", "mg=mg")),
))

ASSESSMENTS = Table("assessments", "Disease assessments: marrow, blood, CSF, imaging, flow cytometry",
                    ("patient_id", "assessment_date", "specimen"), (
    PID,
    Column("assessment_date", "date", "Date of the sample or exam", required=True),
    Column("specimen", "category", "What was assessed", required=True,
           choices=_ch("marrow=Bone marrow", "blood=Peripheral blood", "csf=Cerebrospinal fluid",
                       "imaging=Imaging", "biopsy=Extramedullary biopsy", "clinical=Clinical exam")),
    Column("bm_blast_pct", "number", "Marrow lymphoblasts by morphology", unit="%", min=0, max=100),
    Column("pb_blasts", "category", "Circulating blasts not explained by regeneration", choices=YES_NO_UNKNOWN),
    Column("mrd_value", "number", "MRD as a fraction of leukocytes (0.01% = 0.0001)", unit="fraction", min=0, max=1),
    Column("mrd_method", "category", "MRD assay", choices=_ch("flow=Flow cytometry", "pcr=PCR", "ngs=NGS")),
    Column("mrd_lod", "number", "Sensitivity (limit of detection) of the MRD assay", unit="fraction", min=0, max=1),
    Column("emd_present", "category", "Extramedullary disease present", choices=YES_NO_UNKNOWN),
    Column("emd_site", "string", "Extramedullary site(s)"),
    Column("cns_status", "category", "CNS status", choices=_ch("cns1=CNS1", "cns2=CNS2", "cns3=CNS3",
                                                                "unknown=Unknown")),
    Column("anc", "number", "Absolute neutrophil count", unit="x10^9/L", min=0, max=200),
    Column("platelets", "number", "Platelet count", unit="x10^9/L", min=0, max=3000),
    Column("abnormal_population", "category", "Flow: abnormal (leukemic) population detected",
           choices=YES_NO_UNKNOWN),
    Column("cd19_pct_positive", "number", "Flow: % of abnormal cells CD19-positive", unit="%", min=0, max=100),
    Column("cd19_mfi_abnormal", "number", "Flow: CD19 median intensity of abnormal cells", unit="MFI", min=0),
    Column("cd19_mfi_reference", "number", "Flow: CD19 median intensity of normal immature B cells", unit="MFI",
           min=0),
    Column("cd19_call", "category", "Hematopathologist's CD19 call", choices=ANTIGEN_CALL),
    Column("cd22_pct_positive", "number", "Flow: % of abnormal cells CD22-positive", unit="%", min=0, max=100),
    Column("cd22_mfi_abnormal", "number", "Flow: CD22 median intensity of abnormal cells", unit="MFI", min=0),
    Column("cd22_mfi_reference", "number", "Flow: CD22 median intensity of normal immature B cells", unit="MFI",
           min=0),
    Column("cd22_call", "category", "Hematopathologist's CD22 call", choices=ANTIGEN_CALL),
    Column("response_recorded", "category", "Response at this assessment as the center recorded it",
           choices=_ch("cr=CR", "crh=CRh", "cri=CRi", "pr=PR", "nr=No response", "pd=Progression",
                       "relapse=Relapse", "unknown=Unknown")),
))

TRANSPLANTS = Table("transplants", "One row per allogeneic HSCT (any, before or after the antibodies)",
                    ("patient_id", "transplant_date"), (
    PID,
    Column("transplant_date", "date", "Day 0 (graft infusion)", required=True),
    Column("conditioning_start_date", "date", "First day of conditioning"),
    Column("donor_type", "category", "Donor", required=True,
           choices=_ch("matched_sibling=HLA-matched sibling", "haploidentical=Haploidentical related",
                       "other_related=Other related", "matched_unrelated=Matched unrelated",
                       "mismatched_unrelated=Mismatched unrelated", "cord=Umbilical cord blood",
                       "haplo_cord=Haploidentical plus cord")),
    Column("hla_matched", "integer", "Matched HLA alleles (A, B, C, DRB1, DQB1)", min=0, max=10),
    Column("hla_typed", "integer", "HLA alleles typed for the match (10, 8 or 6 for cord)", min=6, max=10),
    Column("graft_source", "category", "Graft source", required=True,
           choices=_ch("bm=Bone marrow", "pbsc=Peripheral blood", "ucb_single=Cord blood, single",
                       "ucb_double=Cord blood, double", "bm_pbsc=Marrow and peripheral blood", "other=Other")),
    Column("donor_sex", "category", "Sex of the donor", choices=_ch("male=Male", "female=Female",
                                                                     "unknown=Unknown")),
    Column("conditioning_regimen", "string", "Conditioning regimen as named by the center"),
    Column("conditioning_agents", "string", "Conditioning agents separated by ';' (e.g. clofarabine;busulfan)",
           vocabulary=_ch("tbi=TBI", "busulfan=Busulfan", "clofarabine=Clofarabine",
                          "cyclophosphamide=Cyclophosphamide", "fludarabine=Fludarabine", "melphalan=Melphalan",
                          "thiotepa=Thiotepa", "treosulfan=Treosulfan", "etoposide=Etoposide", "cytarabine=Cytarabine",
                          "atg=ATG", "alemtuzumab=Alemtuzumab", "other=Other")),
    Column("conditioning_intensity", "category", "Intensity as the center reported it",
           choices=_ch("mac=Myeloablative", "ric=Reduced intensity", "nma=Non-myeloablative")),
    Column("tbi_dose", "number", "Total body irradiation, total dose", unit="cGy", min=0, max=2000),
    Column("busulfan_dose", "number", "Busulfan total dose (IV)", unit="mg/kg", min=0, max=30),
    Column("melphalan_dose", "number", "Melphalan total dose", unit="mg/m2", min=0, max=300),
    Column("thiotepa_dose", "number", "Thiotepa total dose", unit="mg/kg", min=0, max=30),
    Column("gvhd_prophylaxis", "string", "GVHD prophylaxis agents separated by ';' (e.g. tacrolimus;methotrexate)",
           vocabulary=_ch("tacrolimus=Tacrolimus", "cyclosporine=Cyclosporine", "methotrexate=Methotrexate",
                          "mmf=Mycophenolate mofetil", "sirolimus=Sirolimus",
                          "ptcy=Post-transplant cyclophosphamide", "cd34_selection=CD34 selection (ex vivo TCD)",
                          "atg=ATG", "alemtuzumab=Alemtuzumab", "abatacept=Abatacept", "other=Other")),
    Column("ex_vivo_tcd", "category", "Ex vivo T-cell depletion (e.g. CD34 selection)", choices=YES_NO_UNKNOWN),
    Column("cd34_dose", "number", "CD34+ cell dose", unit="x10^6/kg", min=0, max=100),
    Column("anc_engraftment_date", "date", "Neutrophil engraftment (first of 3 days with ANC >= 0.5)"),
    Column("disease_status", "category", "Disease status at transplant",
           choices=_ch("cr_mrd_negative=CR, MRD negative", "cr_mrd_positive=CR, MRD positive",
                       "cr_mrd_unknown=CR, MRD unknown", "not_in_cr=Not in CR")),
    # acute GVHD as chart reviews hold it: the maximum after this transplant, without an onset date (counted in the
    # tables; the cumulative incidence needs a date and leaves such patients out, saying so; derive/agvhd.py)
    Column("agvhd_max_grade", "integer", "Maximum overall acute GVHD grade after this transplant, as recorded "
           "(0 = no acute GVHD; empty = not recorded). Dated episodes in toxicity_episodes, where given, are used "
           "first", min=0, max=4),
    Column("agvhd_grading_system", "category", "System agvhd_max_grade was given in",
           choices=_ch("keystone_1994=1994 Consensus", "magic_2016=MAGIC", "other=Other")),
    Column("agvhd_max_skin_stage", "integer", "Maximum acute GVHD skin stage after this transplant", min=0, max=4),
    Column("agvhd_max_liver_stage", "integer", "Maximum acute GVHD liver stage after this transplant", min=0, max=4),
    Column("agvhd_max_gi_stage", "integer", "Maximum acute GVHD lower GI stage after this transplant", min=0, max=4),
))

TOXICITY_EPISODES = Table("toxicity_episodes", "Recorded toxicity episodes with their grades",
                          ("patient_id", "toxicity", "onset_date"), (
    PID,
    Column("toxicity", "category", "Toxicity", required=True,
           choices=_ch("crs=Cytokine release syndrome", "icans=ICANS (neurotoxicity)", "sos=Hepatic SOS/VOD",
                       "agvhd=Acute GVHD", "transaminitis=Transaminase increase",
                       "hyperbilirubinemia=Bilirubin increase", "other=Other")),
    Column("onset_date", "date", "Onset", required=True),
    Column("grade", "integer", "Maximum grade as recorded (0-5)", min=0, max=5),
    Column("grading_system", "category", "System the grade was given in",
           choices=_ch("astct_2019=ASTCT 2019", "lee_2014=Lee 2014", "ctcae_5=CTCAE v5", "ctcae_4=CTCAE v4",
                       "keystone_1994=1994 Consensus", "magic_2016=MAGIC", "ebmt_2016=EBMT 2016",
                       "other=Other")),
    Column("severity", "category", "Severity category (SOS)", choices=_ch("mild=Mild", "moderate=Moderate",
                                                                          "severe=Severe",
                                                                          "very_severe=Very severe")),
    Column("course_id", "string", "Course the center attributed it to", references="therapies.course_id"),
    Column("resolution_date", "date", "Resolution"),
    Column("fatal", "category", "Death from this toxicity", choices=YES_NO_UNKNOWN),
))

TOXICITY_OBSERVATIONS = Table("toxicity_observations", "Dated inputs to the grading rules (labs, signs, stages)",
                              ("patient_id", "observation_date"), (
    PID,
    Column("observation_date", "date", "Date of the observation", required=True),
    Column("alt", "number", "ALT", unit="U/L", min=0, max=20000),
    Column("alt_uln", "number", "ALT upper limit of normal", unit="U/L", min=1, max=500),
    Column("ast", "number", "AST", unit="U/L", min=0, max=20000),
    Column("ast_uln", "number", "AST upper limit of normal", unit="U/L", min=1, max=500),
    Column("bilirubin", "number", "Total bilirubin", unit="mg/dL", min=0, max=80),
    Column("bilirubin_uln", "number", "Bilirubin upper limit of normal", unit="mg/dL", min=0.1, max=5),
    Column("temp_max", "number", "Maximum temperature", unit="C", min=30, max=45),
    Column("hypotension", "category", "Hypotension", choices=YES_NO_UNKNOWN),
    Column("vasopressors", "integer", "Number of vasopressors other than vasopressin", min=0, max=5),
    Column("oxygen", "category", "Oxygen support", choices=_ch("none=None", "low_flow=Low-flow",
                                                                "high_flow=High-flow",
                                                                "positive_pressure=Positive pressure")),
    Column("ice_score", "integer", "ICE score", min=0, max=10),
    Column("weight_gain_pct", "number", "Weight gain above baseline", unit="%", min=-50, max=100),
    Column("painful_hepatomegaly", "category", "Painful hepatomegaly", choices=YES_NO_UNKNOWN),
    Column("ascites", "category", "Ascites", choices=YES_NO_UNKNOWN),
    Column("skin_stage", "integer", "aGVHD skin stage", min=0, max=4),
    Column("liver_stage", "integer", "aGVHD liver stage", min=0, max=4),
    Column("upper_gi_stage", "integer", "aGVHD upper GI stage", min=0, max=1),
    Column("lower_gi_stage", "integer", "aGVHD lower GI stage", min=0, max=4),
    Column("rash_bsa_pct", "number", "Active GVHD rash, body surface area", unit="%", min=0, max=100),
    Column("stool_volume", "number", "Diarrhea volume", unit="mL/day", min=0, max=20000),
))

DISEASE_EVENTS = Table("disease_events", "Relapse, progression and treatment failure, with site",
                       ("patient_id", "event_date", "event_type"), (
    PID,
    Column("event_date", "date", "Date of the event (first documenting sample)", required=True),
    Column("event_type", "category", "Event", required=True,
           choices=_ch("relapse=Relapse after CR", "progression=Progression", "refractory=Treatment failure",
                       "mrd_relapse=MRD relapse")),
    Column("site", "category", "Site", choices=_ch("marrow=Isolated marrow", "extramedullary=Isolated extramedullary",
                                                    "cns=Isolated CNS", "combined=Marrow and extramedullary",
                                                    "mrd_only=MRD only")),
    Column("cns_involved", "category", "CNS involvement at the event", choices=YES_NO_UNKNOWN),
    Column("note", "string", "Free text (no identifiers)"),
))

FOLLOW_UP = Table("follow_up", "Vital status: one row per patient", ("patient_id",), (
    PID,
    Column("last_contact_date", "date", "Last contact (alive) or date of death", required=True),
    Column("vital_status", "category", "Vital status at last contact", required=True,
           choices=_ch("alive=Alive", "dead=Dead")),
    Column("death_date", "date", "Date of death"),
    Column("death_cause", "category", "Primary cause of death",
           choices=_ch("progression=Leukemia progression", "infection=Infection", "gvhd=GVHD", "sos=SOS/VOD",
                       "organ_toxicity=Organ toxicity", "salvage_toxicity=Salvage treatment toxicity",
                       "other=Other", "unknown=Unknown")),
    Column("status_at_last_contact", "category", "Disease status at last contact",
           choices=_ch("cr=In CR", "active_systemic=Active systemic disease", "active_cns=Isolated CNS disease",
                       "unknown=Unknown")),
), one_row_per_patient=True)

TABLES: tuple[Table, ...] = (STUDY, PATIENTS, THERAPIES, DOSES, ASSESSMENTS, TRANSPLANTS, TOXICITY_EPISODES,
                             TOXICITY_OBSERVATIONS, DISEASE_EVENTS, FOLLOW_UP)
BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}
SCHEMA_VERSION = "1.0"


def schema_markdown() -> str:
    """The column reference, generated (docs/COHORT_SCHEMA.md)."""
    n_cols = sum(len(t.columns) for t in TABLES)
    lines = [f"# Cohort schema {SCHEMA_VERSION}", "",
             "Generated from `src/mabseq/cohort/schema.py` by `mabseq schema --markdown`; do not edit by hand.", "",
             f"{len(TABLES)} tables, {n_cols} columns. Coded columns take the code (or its label, any case). "
             "Dates are YYYY-MM-DD (or real Excel dates). Required columns are marked **required**.", ""]
    for t in TABLES:
        lines += [f"## `{t.name}`", "", t.description + f". Key: {', '.join(t.key)}.", "",
                  "| column | type | unit | allowed | description |", "|---|---|---|---|---|"]
        for c in t.columns:
            if c.type == "category":
                allowed = ", ".join(f"`{code}`" for code in c.codes)
            elif c.min is not None or c.max is not None:
                allowed = f"{'' if c.min is None else c.min:g} to {'' if c.max is None else c.max:g}" \
                    if c.min is not None and c.max is not None else (f">= {c.min:g}" if c.min is not None
                                                                      else f"<= {c.max:g}")
            else:
                allowed = ""
            req = " **required**" if c.required else ""
            ref = f" Must exist in `{c.references}`." if c.references and c.name != "patient_id" else ""
            lines.append(f"| `{c.name}` | {c.type}{req} | {c.unit} | {allowed} | {c.description}.{ref} |")
        lines.append("")
    return "\n".join(lines)
