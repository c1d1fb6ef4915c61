"""report.html: one self-contained page (inline SVG and CSS, no network) laid out like the paper, from the results
only. Every value passes :func:`mabseq.safe_text.escape_control` before jinja's HTML escaping (which leaves ESC,
BEL and U+2028 alone); suppressed cells show their marker; a shareable bundle's report has no swimmer plot, no
validation warnings and the cut-off's year only."""
from __future__ import annotations

import jinja2
from markupsafe import Markup
import pandas as pd

from ..results.format import format_p
from ..results.records import ResultSet
from .tables import STATISTIC_LABELS, grid, na_reasons, with_interval
from ..results.fidelity import PUBLISHED_STUDIES
from ..results.suppression import footnote
from ..safe_text import escape_control
from .text import sections

STROBE = [
    ("1", "Title and abstract", "Header"), ("2", "Background/rationale", "Header (study reference)"),
    ("3", "Objectives", "Header"), ("4", "Study design", "Methods footer"),
    ("5", "Setting (dates, follow-up)", "Methods footer: data cut-off; Survival: follow-up"),
    ("6", "Participants (eligibility, follow-up)", "Patient flow: inclusion and exclusions"),
    ("7", "Variables (outcomes, exposures, definitions)", "Methods footer: rule sets and definitions"),
    ("8", "Data sources/measurement", "Data completeness; validation findings"),
    ("9", "Bias", "Beyond the paper: immortal-time guard"), ("10", "Study size", "Patient flow"),
    ("11", "Quantitative variables", "Tables 1-3"), ("12", "Statistical methods", "Methods footer: tests used"),
    ("13", "Participants (numbers at each stage)", "Patient flow"),
    ("14", "Descriptive data (incl. missing data)", "Table 1; Data completeness"),
    ("15", "Outcome data", "Results text; Table 3"), ("16", "Main results (estimates with precision)",
                                                      "Survival figures; Beyond the paper"),
    ("17", "Other analyses (subgroups, sensitivity)", "Beyond the paper"),
    ("18", "Key results", "Results text"), ("19", "Limitations", "Fidelity; Beyond the paper"),
    ("20", "Interpretation", "Not generated (author's task)"), ("21", "Generalisability", "Not generated"),
    ("22", "Funding", "Not generated"),
]

CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;font-size:13px;color:#222;max-width:1100px;margin:0 auto;padding:16px}
h1{font-size:20px;margin:4px 0 8px} h2{font-size:16px;border-bottom:1px solid #999;margin-top:28px;padding-bottom:3px}
h3{font-size:14px;margin:16px 0 6px} .synthetic{background:#fff3cd;border:1px solid #e0b000;padding:8px;font-weight:bold}
table{border-collapse:collapse;margin:8px 0 4px;font-size:12px} th,td{padding:3px 8px;text-align:left;vertical-align:top}
thead th{border-top:2px solid #000;border-bottom:1px solid #000} tbody tr:last-child td{border-bottom:2px solid #000}
td.num{text-align:center} td.i1{padding-left:22px} td.i2{padding-left:38px} tr.header td:first-child{font-weight:bold}
td.sig{font-weight:bold}
.foot{font-size:11px;color:#444;margin:2px 0} figure{margin:12px 0} figcaption{font-size:12px;color:#333}
.ok{color:#1b7a1b} .bad{color:#b00020} .muted{color:#777} .svgbox svg{max-width:100%;height:auto}
nav a{margin-right:10px} .small{font-size:11px} .not-computed{color:#8a4b00;font-style:italic}
"""


def _corrected(results: ResultSet, rid: str, conv: str) -> str:
    """A corrected estimate as the captions show it: the value with its interval, 'P = x' for a test, and the
    record's warning or, without a value, why (its note)."""
    r = results.records[rid]
    if r.value is None and not r.suppressed:
        return r.note if r.note.startswith("not ") else f"not estimated ({r.note})" if r.note else "not estimated"
    shown = with_interval(results, r, conv)
    if r.statistic == "p_value":
        shown = f"P = {shown}"
    return f"{shown} ({r.warning})" if r.warning else shown

def _finalize(value):
    """Every ``{{ value }}``: control characters as visible escapes (markup too: the figures' SVG text)."""
    if isinstance(value, Markup):
        return Markup(escape_control(str(value)))
    if isinstance(value, str):
        return escape_control(value)
    return value


TEMPLATE = jinja2.Environment(autoescape=True, finalize=_finalize).from_string("""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title><style>{{ css }}</style></head><body>
{% if synthetic %}<p class="synthetic" id="synthetic-banner">SYNTHETIC DATA: this report runs on the bundled twin of the
published cohort, not on patient data.</p>{% endif %}
<h1>{{ title }}</h1>
<p class="small">Study preset <b>{{ study }}</b> on {{ source }}; {{ n_included }} patients included, {{ n_excluded }}
excluded; data cut-off {{ cutoff }}. mabseq {{ version }}, input {{ input_hash }}.</p>
{% if min_cell_note %}<p class="small" id="min-cell-note">{{ min_cell_note }}</p>{% endif %}
{% if shareable %}<p class="small" id="shareable-note">Shareable bundle: no patient ids, per-patient data or calendar dates (see README.txt).</p>{% endif %}
<nav class="small"><a href="#flow">Flow</a><a href="#tables">Tables</a><a href="#text">Results</a>
<a href="#figures">Figures</a>{% if not shareable %}<a href="#swimmer">Swimmer</a>{% endif %}<a href="#ext">{{ ext_nav }}</a>
<a href="#fidelity">Fidelity</a><a href="#quality">Data quality</a><a href="#strobe">STROBE</a>
<a href="#methods">Methods</a></nav>

<h2 id="flow">Patient flow</h2>
<div class="svgbox" id="flow-diagram">{{ flow_svg }}</div>
{% if excluded %}<p class="foot">Excluded: {% for r, n in excluded %}{{ r }} ({{ n }}){% if not loop.last %}; {% endif %}{% endfor %}.</p>{% endif %}

<h2 id="tables">Tables</h2>
{% for t in tables %}<h3>{{ t.title }}</h3>
{% if t.reason %}<p class="not-computed" id="{{ t.id }}-not-computed">{{ t.reason }}.</p>{% endif %}
{% if t.header %}<table class="study-table" id="{{ t.id }}"><thead><tr>{% for h in t.header %}<th>{{ h }}</th>{% endfor %}</tr></thead><tbody>
{% for row, ind, kind, bold in t.rows %}<tr class="{{ kind }}">{% for c in row %}<td class="{% if loop.first %}i{{ ind }}{% else %}num{% endif %}{% if bold[loop.index0] %} sig{% endif %}">{{ c }}</td>{% endfor %}</tr>
{% endfor %}</tbody></table>{% endif %}
{% for f in t.footnotes %}<p class="foot">{{ f }}</p>{% endfor %}
{% if t.na %}<p class="foot na-reasons">Cells without a value: {{ t.na|join('; ') }}.</p>{% endif %}
{% endfor %}

<h2 id="text">Results</h2>
{% for s in text %}<h3>{{ s.title }}</h3>{% if s.reason %}<p class="not-computed">{{ s.reason }}.</p>{% endif %}
{% for p, why in s.paragraphs %}<p>{{ p }}</p>{% if why %}<p class="foot na-reasons">NA: {{ why|join('; ') }}.</p>{% endif %}{% endfor %}{% endfor %}

<h2 id="figures">Figures</h2>
{% for f in figures %}<figure class="figure{% if f.reason %} not-computed{% endif %}" id="fig-{{ f.id }}">{% if not f.reason %}<div class="svgbox">{{ f.svg }}</div>{% endif %}
<figcaption><b>{{ f.title }}.</b> {% if f.reason %}{{ f.reason }}.{% else %}{{ f.caption }}{% endif %}</figcaption></figure>{% endfor %}

{% if not shareable %}<h2 id="swimmer">{% if swimmer_sample %}Course of {{ swimmer_sample.patients }} patients, a random sample{% else %}Course of every patient{% endif %}</h2>
{% if swimmer_reason %}<p class="not-computed" id="swimmer-not-computed">{{ swimmer_reason }}.</p>{% else %}<figure class="figure" id="fig-swimmer"><div class="svgbox">{{ swimmer_svg }}</div>
<figcaption>{% if swimmer_sample %}A simple random sample of {{ swimmer_sample.patients }} of the {{ swimmer_sample.of }} patients with a timeline (seed {{ swimmer_sample.seed }}): one lane a patient would not fit a page; every count, table and curve uses all patients. {% endif %}Therapies as bars, response, relapse, transplant and death as markers; an arrow marks patients alive at last contact (days from mAb1, in months).</figcaption></figure>{% endif %}{% endif %}

<h2 id="ext">{{ ext_nav }} (exploratory, unadjusted)</h2>
<p class="foot">{{ ext_intro }} {{ n_tests }} p-values are computed in this report; none is adjusted for multiplicity.</p>
<table id="ext-table"><thead><tr><th>Analysis</th><th>Population</th><th>Value</th><th>Method</th><th>Note</th></tr></thead><tbody>
{% for r in ext %}<tr><td>{{ r.quantity }}</td><td>{{ r.population }}</td><td class="num">{{ r.shown }}</td><td>{{ r.method }}</td><td class="small">{{ r.note }}</td></tr>
{% endfor %}</tbody></table>

{% if synthetic %}<h2 id="fidelity">Fidelity to the published paper</h2>
{% if fidelity %}<p>{{ fidelity_summary }}</p>{% endif %}{% else %}<h2 id="fidelity">Comparison with the paper's cohort (informational)</h2>
{% if fidelity %}<p id="fidelity-informational">This cohort is not the paper's: each of its numbers is set beside the published one for orientation only. A number that differs is not an error.</p>{% endif %}{% endif %}
{% if fidelity %}
<table id="fidelity-table"><thead><tr><th>id</th><th>Quantity</th><th>Published</th><th>This cohort</th><th>Status</th></tr></thead><tbody>
{% for r in fidelity %}<tr><td class="small">{{ r.id }}</td><td>{{ r.quantity }}</td><td class="num">{{ r.published }}</td><td class="num">{{ r.computed }}</td><td class="{{ r.cls }}">{{ r.status }}{% if r.detail %} <span class="muted">({{ r.detail }})</span>{% endif %}</td></tr>
{% endfor %}</tbody></table>{% else %}<p>No published reference for this study.</p>{% endif %}

<h2 id="quality">Data quality</h2>
{% for t in quality_tables %}<h3>{{ t.title }}</h3>
<table id="completeness-table"><thead><tr>{% for h in t.header %}<th>{{ h }}</th>{% endfor %}</tr></thead><tbody>
{% for row, ind, kind in t.rows %}<tr>{% for c in row %}<td class="{% if loop.first %}i0{% else %}num{% endif %}">{{ c }}</td>{% endfor %}</tr>{% endfor %}
</tbody></table>{% for f in t.footnotes %}<p class="foot">{{ f }}</p>{% endfor %}
{% if t.na %}<p class="foot na-reasons">Cells without a value: {{ t.na|join('; ') }}.</p>{% endif %}{% endfor %}
<h3>Validation warnings</h3>
{% if shareable %}<p id="validation-warnings">Withheld from a shareable bundle (they quote cells of the input).</p>{% elif warnings %}<ul id="validation-warnings">{% for w in warnings %}<li class="small">{{ w }}</li>{% endfor %}</ul>{% else %}<p id="validation-warnings">None.</p>{% endif %}

<h2 id="strobe">STROBE checklist (cohort studies)</h2>
<table id="strobe-table"><thead><tr><th>Item</th><th>Topic</th><th>Where in this report</th></tr></thead><tbody>
{% for i, t, w in strobe %}<tr><td>{{ i }}</td><td>{{ t }}</td><td>{{ w }}</td></tr>{% endfor %}</tbody></table>

<h2 id="methods">Methods</h2>
<p class="small">mabseq {{ version }}; input hash {{ input_hash }}; data cut-off {{ cutoff }}. Rule sets: {{ rulesets }}.
Tests used: {{ tests_used }}. Kaplan-Meier with log-transformed Greenwood intervals (R survival); quantiles R type {{ quantile_type }};
{{ display_rules }}; cumulative incidence by Aalen-Johansen with cmprsk's variance and log(-log) intervals.</p>
</body></html>
""")


def _strobe(ext_name: str, bias: str | None = None) -> list[tuple[str, str, str]]:
    """The checklist with the study's own section names; item 9 (bias) from ``meta["strobe_bias"]`` if given."""
    return [(i, t, bias if (i == "9" and bias) else w.replace("Beyond the paper", ext_name)) for i, t, w in STROBE]


def _cutoff(meta: dict) -> str:
    """The data cut-off as the report prints it: the date, or in a shareable bundle its year only."""
    if meta.get("cutoff"):
        return str(meta["cutoff"])
    return f"in {meta['cutoff_year']}" if meta.get("cutoff_year") else "not stated"


def _status_class(status: str) -> str:
    return {"match": "ok", "differs": "bad"}.get(status, "muted")


def _notes(r) -> str:
    """The record's note and its warning (once: a warning may already stand in the note)."""
    return "; ".join(x for x in (r.note, "" if r.warning in r.note else r.warning) if x)


def render_html(results: ResultSet, *, fidelity: pd.DataFrame | None = None, figure_svgs: dict | None = None,
                flow_svg: str = "", swimmer_svg: str = "") -> str:
    meta = results.meta
    conv = meta.get("conventions", "paper")
    nc = meta.get("not_computed", {})
    tables = []
    for tid in ("table1", "table2", "table3"):
        if tid in results.tables:
            g = grid(results, results.tables[tid])
            tables.append({"id": tid, "title": g.title, "header": g.header,
                           "rows": list(zip(g.rows, g.indents, g.kinds, g.strong)), "footnotes": g.footnotes,
                           "na": na_reasons(results, results.tables[tid]),
                           "reason": nc[tid]["reason"] if tid in nc else ""})
        elif tid in nc:  # not computed: its title and the reason, from the results
            tables.append({"id": tid, "title": nc[tid]["title"], "header": [], "rows": [], "footnotes": [],
                           "na": [], "reason": nc[tid]["reason"]})
    quality = []
    if "completeness" in results.tables:
        g = grid(results, results.tables["completeness"])
        quality.append({"title": g.title, "header": g.header, "rows": list(zip(g.rows, g.indents, g.kinds)),
                        "footnotes": g.footnotes,
                        "na": na_reasons(results, results.tables["completeness"])})
    figs = []
    for cid, c in results.curves.items():
        svg = (figure_svgs or {}).get(cid, "")
        test = results.records.get(c.test_id) if c.test_id else None
        labels = results.meta.get("group_labels", {})
        pops = " vs ".join(labels.get(g, g) for g in c.population.split(" vs "))
        cap = f"{pops}."
        if test is not None:
            cap += f" {test.method}: P = {format_p(test.value, conv) if test.value is not None else 'not tested'}."
        if c.corrected:  # the corrected analyses of a grouping formed after the origin, beside the naive test
            shown = [f"{label}: {_corrected(results, rid, conv)}" for label, rid in c.corrected
                     if rid in results.records]
            if shown:
                cap += " Corrected analyses (study-definition 6.1): " + "; ".join(shown) + "."
        if c.extension:
            cap += " Beyond the paper (exploratory)."
        if c.note:
            cap += f" {c.note}."
        figs.append({"id": cid, "svg": Markup(svg), "title": c.title, "caption": cap, "reason": ""})
    figs += [{"id": k, "svg": "", "title": v["title"], "caption": "", "reason": v["reason"]} for k, v in nc.items()
             if v["kind"] == "figure" and k != "swimmer" and k not in results.curves]
    ext = [{"quantity": f"{r.quantity}: {STATISTIC_LABELS[r.statistic]}", "population": r.population,
            "shown": with_interval(results, r, conv), "method": r.method,
            "note": _notes(r)}
           for r in results.records.values() if r.extension and r.statistic in STATISTIC_LABELS]
    ext += [{"quantity": v["title"], "population": "", "shown": "not computed", "method": "", "note": v["reason"]}
            for v in nc.values() if v["kind"] == "analysis"]
    fid_rows, fid_summary = [], ""
    if fidelity is not None and len(fidelity):
        for _, r in fidelity.iterrows():
            comp = r["computed"]
            shown = "" if comp is None or (isinstance(comp, float) and pd.isna(comp)) else (
                comp if isinstance(comp, str) else f"{float(comp):.4g}")
            detail = r["detail"]
            if not detail and r["status"] == "not computed" and r["id"] in results.records:
                detail = results.records[r["id"]].note  # the reason, as the results recorded it
            fid_rows.append({"id": r["id"], "quantity": r["quantity"], "published": r["published"], "computed": shown,
                             "status": r["status"], "detail": detail, "cls": _status_class(r["status"])})
        counts = fidelity["status"].value_counts()
        fid_summary = "; ".join(f"{k}: {int(v)}" for k, v in sorted(counts.items()))
    excluded = [(e["reason"], e["n"]) for e in results.flow.reasons]
    if results.study in PUBLISHED_STUDIES:
        ext_nav, ext_intro = "Beyond the paper", ("Analyses the paper did not report: they guard against "
                                                  "immortal-time bias, give exact intervals and cumulative incidences.")
    else:
        ext_nav, ext_intro = "Further analyses", "Estimates beyond the tables (cumulative incidences and intervals)."
    tests_used = sorted({r.method for r in results.records.values() if r.statistic == "p_value" and r.value is not None})
    return TEMPLATE.render(
        css=Markup(CSS), title=meta.get("title", results.study), synthetic=results.synthetic, study=results.study,
        source=results.source, n_included=meta.get("n_included"), n_excluded=meta.get("n_excluded"),
        cutoff=_cutoff(meta), version=meta.get("mabseq_version", ""), input_hash=meta.get("input_hash", ""),
        shareable=bool(meta.get("shareable")),
        min_cell_note=footnote(meta["min_cell"]) if meta.get("min_cell", 1) > 1 else "",
        flow_svg=Markup(flow_svg), excluded=excluded, tables=tables, text=sections(results), figures=figs,
        swimmer_reason=nc.get("swimmer", {}).get("reason", ""),
        swimmer_sample=results.meta.get("swimmer_sample"),
        swimmer_svg=Markup(swimmer_svg), ext=ext, n_tests=sum(1 for r in results.records.values()
                                                      if r.statistic == "p_value" and r.value is not None),
        fidelity=fid_rows, fidelity_summary=fid_summary, quality_tables=quality,
        warnings=meta.get("warnings", []), strobe=_strobe(ext_nav, meta.get("strobe_bias")),
        ext_nav=ext_nav, ext_intro=ext_intro, quantile_type=2 if conv == "gtsummary" else 7,
        display_rules=("gtsummary's display rules (style_percent, style_pvalue; half away from zero)"
                       if conv == "gtsummary" else "half-up rounding"),
        rulesets=meta.get("rulesets", "see the criteria"), tests_used="; ".join(tests_used) or "none")
