"""The town's assessment rules (张政发〔2024〕10号 四（四）): pure Python, plain data in and out.

Entry points: `load_rules`, `read_source` / `write_source`, `monthly_result`, `year_result`,
`village_indicators`; the input is `ScoringInput`. Nothing here imports `geo` or `service`.
"""

from scoring.errors import NoScoresError, RulesError, ScoringError, SourceError
from scoring.indicators import VillageIndicators, VillageIssueCounts, village_indicators
from scoring.inputs import Honor, ObservationScore, ScoringInput, ThirdPartyEvaluation, Village
from scoring.monthly import monthly_result, monthly_results
from scoring.results import LineItem, MonthlyResult, VillageYearResult, YearResult
from scoring.rules import Rules, load_rules
from scoring.sources import read_source, write_source
from scoring.yearly import year_result

__all__ = [
    "Honor",
    "LineItem",
    "MonthlyResult",
    "NoScoresError",
    "ObservationScore",
    "Rules",
    "RulesError",
    "ScoringError",
    "ScoringInput",
    "SourceError",
    "ThirdPartyEvaluation",
    "Village",
    "VillageIndicators",
    "VillageIssueCounts",
    "VillageYearResult",
    "YearResult",
    "load_rules",
    "monthly_result",
    "monthly_results",
    "read_source",
    "village_indicators",
    "write_source",
    "year_result",
]
