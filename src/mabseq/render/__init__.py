"""Renderers: turn a :class:`~mabseq.results.ResultSet` into HTML, Word tables and figures. They read the results only
and compute nothing statistical.

Modules are imported where they are used (``from mabseq.render.figures import km_figure``), so importing this package
does not pull in matplotlib or python-docx.
"""
