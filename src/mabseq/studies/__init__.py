"""Study presets: the analysis plan as code. ``paper`` reproduces Wudhikarn et al. (Blood Adv 2022)."""
from . import paper

PRESETS = {"paper": paper}

__all__ = ["paper", "PRESETS"]
