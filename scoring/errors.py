"""The scoring domain's exceptions: every message names where the bad value is."""

from __future__ import annotations


class ScoringError(Exception):
    """Base of every error raised by `scoring`."""


class RulesError(ScoringError):
    """A rules file is missing, unreadable, or has a missing or mistyped key."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        where = f"{source}: {key}" if key else source
        super().__init__(f"rules file {where}: {problem}")


class SourceError(ScoringError):
    """A row of an input file (or database record) has a bad value."""

    def __init__(
        self, source: str, problem: str, *, row: int | None = None, field: str | None = None
    ) -> None:
        self.source = source
        self.row = row
        self.field = field
        self.problem = problem
        where = source
        if row is not None:
            where += f", row {row}"
        if field is not None:
            where += f", field '{field}'"
        super().__init__(f"{where}: {problem}")


class NoScoresError(ScoringError):
    """There is nothing to rank: no observation score in the month or year asked for."""


class MissingScoreError(ScoringError):
    """A village has no score in a month others were scored, and the rules say "error"."""

    def __init__(self, month: str, villages: list[tuple[str, str]], source: str) -> None:
        self.month = month
        self.villages = villages
        self.field = "village"
        listed = ", ".join(f"{code} ({name})" for code, name in villages)
        which = f"village {listed} has" if len(villages) == 1 else f"villages {listed} have"
        super().__init__(
            f"{month}: {which} no observation score while other villages were"
            f' scored (未评分); the rules file {source} says missing_score = "error":'
            ' enter its score, or set missing_score to "skip" or "lowest"'
        )
