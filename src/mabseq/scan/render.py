"""scan.json and scan.html from a :class:`~.profile.DataProfile`.

Both are made from the same shareable dict (:func:`.share.profile_json`), so the HTML can never print a value the
JSON withholds. The HTML is one self-contained page (inline CSS, no scripts, no network). Every value passes
:func:`mabseq.safe_text.escape_control` (control characters as visible escapes, which jinja's HTML escaping leaves
alone) and then jinja's autoescape; a value is shown with its spaces marked (``·`` for a leading or trailing
space) so that ``" P01"`` and ``"P01"`` can be told apart. The page lists at most :data:`MAX_SHOWN` values per
column (the JSON holds them all). No time stamp: the same input gives the same bytes.
"""
from __future__ import annotations

from importlib import resources

import jinja2
from markupsafe import Markup

from .. import __version__
from ..cohort.findings import escape_display
from ..safe_text import escape_control
from .share import MIN_COUNT, dumps, profile_json

MAX_SHOWN = 40
CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;font-size:13px;color:#222;max-width:1200px;margin:0 auto;padding:16px}
h1{font-size:20px} h2{font-size:16px;border-bottom:1px solid #999;margin-top:28px;padding-bottom:3px} h3{font-size:14px}
table{border-collapse:collapse;margin:8px 0;font-size:12px} th,td{padding:3px 8px;text-align:left;vertical-align:top;
border-bottom:1px solid #ddd} thead th{border-bottom:2px solid #000} td.num{text-align:right}
.small{font-size:11px} .foot{font-size:11px;color:#444} .muted{color:#777} .bad{color:#b00020}
.tag{background:#eef;border-radius:3px;padding:0 3px;font-size:10px} .v{background:#f4f4f4;padding:0 2px}
"""
_DELIMS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}


def _finalize(value):
    if isinstance(value, Markup):
        return Markup(escape_control(str(value)))
    if isinstance(value, str):
        return escape_control(value)
    return value


def _env() -> jinja2.Environment:
    return jinja2.Environment(autoescape=True, finalize=_finalize, undefined=jinja2.StrictUndefined,
                              keep_trailing_newline=True)


def _show(v: str) -> str:
    """A value with leading/trailing spaces made visible."""
    core = v.strip(" ")
    if core == v:
        return v
    lead = len(v) - len(v.lstrip(" "))
    trail = len(v) - len(v.rstrip(" "))
    return "·" * lead + core + "·" * trail


def scan_json(profile, findings=None) -> str:
    body = profile_json(profile, shareable=True)
    body["findings"] = _finding_lines(findings)
    return dumps(body)


def _finding_lines(findings) -> list[str]:
    return [str(f) for f in findings.sorted()] if findings is not None else []


def scan_html(profile, findings=None) -> str:
    body = profile_json(profile, shareable=True)
    sources = []
    for s in body["sources"]:
        cols = []
        for i, c in enumerate(s["columns"]):
            why = ("not a date, number or short code" if s["layout"] == "key_value" and i == 1
                   else f"seen fewer than {MIN_COUNT} times")
            shown = [(_show(v), n) for v, n in c["values"][:MAX_SHOWN]]
            cols.append({**c, "shown": shown, "more": max(0, len(c["values"]) - MAX_SHOWN),
                         "pattern_items": sorted(c["patterns"].items(), key=lambda kv: (-kv[1], kv[0])),
                         "format_items": list(c["date_formats"].items()), "withheld_why": why})
        sources.append({**s, "columns": cols, "delimiter_shown": _DELIMS.get(s["delimiter"], s["delimiter"] or "")})
    template = _env().from_string(resources.files("mabseq.scan").joinpath("scan.html").read_text(encoding="utf-8"))
    return template.render(data=body["data"], version=__version__, rule=body["rule"], css=Markup(CSS), sources=sources,
                           findings=[escape_display(f) for f in _finding_lines(findings)], min_count=MIN_COUNT)


def scan_files(profile, findings=None) -> dict[str, str]:
    """The files ``mabseq scan --out DIR`` writes: scan.json and scan.html."""
    return {"scan.json": scan_json(profile, findings), "scan.html": scan_html(profile, findings)}


__all__ = ["scan_json", "scan_html", "scan_files", "MAX_SHOWN"]
