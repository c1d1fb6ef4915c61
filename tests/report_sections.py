"""Where report.html says what could not be computed: small readers of the report's sections for the tests of
``test_unusual_cohorts.py`` (each returns the section's text, HTML entities decoded, or '' when it is absent)."""
from __future__ import annotations

import html as _html
import io
import re

import pandas as pd


def _text(fragment: str) -> str:
    return _html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def table_reason(html: str, tid: str) -> str:
    m = re.search(rf'<p class="not-computed" id="{tid}-not-computed">(.*?)</p>', html, re.S)
    return _text(m.group(1)) if m else ""


def figure_reason(html: str, fid: str) -> str:
    m = re.search(rf'<figure class="figure not-computed" id="fig-{re.escape(fid)}">.*?<figcaption>(.*?)</figcaption>',
                  html, re.S)
    return _text(m.group(1)) if m else ""


def text_reason(html: str, title: str) -> str:
    m = re.search(rf'<h3>{re.escape(_html.escape(title))}</h3><p class="not-computed">(.*?)</p>', html, re.S)
    return _text(m.group(1)) if m else ""


def table_na(html: str, tid: str) -> str:
    """The 'Cells without a value' line of a table (from its <table> to the next heading)."""
    m = re.search(rf'<table class="study-table" id="{tid}">(.*?)(?=<h[23])', html, re.S)
    n = re.search(r'<p class="foot na-reasons">(.*?)</p>', m.group(1), re.S) if m else None
    return _text(n.group(1)) if n else ""


def section(html: str, title: str) -> str:
    """The text of a Results section (to its next heading)."""
    m = re.search(rf'<h3>{re.escape(_html.escape(title))}</h3>(.*?)(?=<h[23])', html, re.S)
    return _text(m.group(1)) if m else ""


def ext_row(html: str, quantity_start: str) -> str:
    m = re.search(r'<table id="ext-table">(.*?)</table>', html, re.S)
    for row in re.findall(r"<tr>(.*?)</tr>", m.group(1), re.S):
        if _text(row).startswith(quantity_start):
            return _text(row)
    return ""


def fidelity_row(html: str, rid: str) -> str:
    m = re.search(rf'<tr><td class="small">{rid}</td>(.*?)</tr>', html, re.S)
    return _text(m.group(1)) if m else ""


def excluded_reasons(csv_text: str) -> dict:
    df = pd.read_csv(io.StringIO(csv_text))
    return df["reason"].value_counts().to_dict()
