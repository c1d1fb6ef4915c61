"""``mabseq scan``: a shareable profile of every sheet or file of a center's data, before any mapping exists.

:func:`profile_data` gives a :class:`DataProfile` (used by ``mabseq map draft``); :mod:`.render` writes it as
scan.json and scan.html under the WhiteRabbit rule (:mod:`.share`)."""
from .columns import ColumnProfile
from .groups import RepeatGroup
from .profile import DataProfile, SourceProfile, profile_data, profile_grid, profile_grids

__all__ = ["ColumnProfile", "DataProfile", "RepeatGroup", "SourceProfile", "profile_data", "profile_grid",
           "profile_grids"]
