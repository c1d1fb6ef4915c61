"""Clinical criteria as code: one module per domain, each rule a pure function returning a :class:`Result`
(value, criteria met, missing inputs, rule set and version, ``explain()``). A missing input is never taken as normal.

==================  ==========================================================================================
module              rule sets
==================  ==========================================================================================
``response``        ALL response: paper-2022 (CR/CRh/CRi pooled), NCCN/INO-VATE, Blinatumomab/TOWER; MRD; CNS status;
                    relapse type and site
``antigen``         CD19/CD22 flow status (Wudhikarn-2022: pathologist's call, < 20% negative, dim at 1/3 log)
``crs_icans``       ASTCT-2019 CRS, ICE score, ICANS
``sos``             EBMT-adult-2016 SOS/VOD diagnosis and severity; the paper's grade mapping
``gvhd``            acute GVHD: Keystone-1994 and MAGIC-2016 organ staging and overall grade
``ctcae``           CTCAE-5.0 ALT, AST, bilirubin (normal and abnormal baselines, uln_only)
``cytogenetics``    UKALLXII/ECOG2993 (Moorman 2007, ploidy first) and NCCN-current
``transplant``      conditioning intensity (Bacigalupo-2009), HLA category (NMDP-2019), prophylaxis, engraftment
``longitudinal``    maximum grade per episode and patient, onset, first date reaching a grade
==================  ==========================================================================================
"""
from . import antigen, crs_icans, ctcae, cytogenetics, gvhd, response, sos, transplant
from .longitudinal import GradeSummary, first_date_reaching, max_per_episode, onset_date, split_episodes, summarize_grades
from .result import Result

__all__ = ["Result", "GradeSummary", "first_date_reaching", "onset_date", "summarize_grades", "split_episodes",
           "max_per_episode", "antigen", "crs_icans", "ctcae", "cytogenetics", "gvhd", "response", "sos",
           "transplant"]
