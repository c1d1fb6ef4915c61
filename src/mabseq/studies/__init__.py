"""Study presets: the analysis plan as code. ``paper`` reproduces Wudhikarn et al. (Blood Adv 2022) in its own
conventions; ``sequence`` is the next study like it (outcomes by the antibody given first) in gtsummary's."""
from . import paper, sequence

PRESETS = {"paper": paper, "sequence": sequence}

__all__ = ["paper", "sequence", "PRESETS"]
