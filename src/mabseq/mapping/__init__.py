"""Bring your own workbook: a declarative mapping file (YAML, ``docs/MAPPING.md``) compiled to SQL that DuckDB
runs over the center's raw sheets. ``load``/``check``: the file and its checks; ``compile``/``parsers``: the SQL;
``sources``: sheets as text tables; ``execute``: running it into raw tables; ``provenance``: where each cell came
from; ``reference``: plain-Python parsers for the property tests; ``upgrade``: the old JSON mapping -> YAML."""
from .execute import mapping_sql, read_mapped
from .load import is_yaml_mapping, load_mapping_yaml

__all__ = ["read_mapped", "mapping_sql", "is_yaml_mapping", "load_mapping_yaml"]
