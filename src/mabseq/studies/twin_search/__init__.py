"""How the synthetic twin's design was made, and the check that it reproduces the paper (SYNTHETIC; docs/TWIN.md).

    python -m mabseq.studies.twin_search              # the paper preset on the design: every published number
    python -m mabseq.studies.twin_search --only-fail  # only the rows that do not match
    python -m mabseq.studies.twin_search --search     # rebuild twin_design.csv from the roster (seeded, ~1 min)

``roster.py`` the hand-written categorical roster and hand-set values; ``kernels.py`` the search's fast kernels
(checked against :mod:`mabseq.stats` in tests); ``anneal.py`` targets and seeded annealing; ``search_baseline.py``
and ``search_times.py`` the searches; ``build.py`` the whole design; ``validate.py`` its internal consistency;
``check.py`` the check, which is the paper preset run on the records built from the design (no second
implementation of the statistics or of the match rule).
"""
