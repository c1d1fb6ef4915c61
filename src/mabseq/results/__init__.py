"""Analysis results: records, curves, flow, tables, timelines and text; fidelity against published numbers."""
from .fidelity import fidelity_summary, fidelity_table
from .format import fmt_num, fmt_p, fmt_pct, round_half_up
from .records import Curve, Flow, Record, ResultSet, TableSpec

__all__ = ["Record", "Curve", "Flow", "TableSpec", "ResultSet", "fidelity_table", "fidelity_summary", "fmt_num",
           "fmt_p", "fmt_pct", "round_half_up"]
