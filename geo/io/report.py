"""What an import found and did: problems by row and field, counts, and the failure it raises."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from geo.assign import Assignment
from geo.errors import InvalidInput

Level = Literal["error", "warning"]

LEVEL_LABELS: dict[str, str] = {"error": "错误 error", "warning": "警告 warning"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong (error) or worth knowing (warning) about one row of the file."""

    row: int | None
    field: str | None
    message: str
    level: Level = "error"
    hint: str | None = None


@dataclass
class ImportReport:
    """The result of checking (and, without errors, loading) one file."""

    kind: str
    source: str
    unit: str = "row"
    """What `row` counts: the spreadsheet row ("row") or the feature number ("feature")."""
    rows: int = 0
    dry_run: bool = False
    problems: list[Problem] = field(default_factory=list)
    inserted: int = 0
    updated: int = 0
    assignment: Assignment | None = None

    @property
    def errors(self) -> list[Problem]:
        """Problems that stop the import."""
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """Problems that were repaired or accepted and are worth a look."""
        return [p for p in self.problems if p.level == "warning"]

    @property
    def ok(self) -> bool:
        """True when nothing stops the import."""
        return not self.errors

    def add(
        self,
        message: str,
        *,
        row: int | None = None,
        field: str | None = None,
        level: Level = "error",
        hint: str | None = None,
    ) -> None:
        """Record one problem."""
        self.problems.append(Problem(row, field, message, level, hint))

    def add_rows(
        self,
        rows: ArrayLike,
        messages: str | Iterable[str],
        *,
        field: str | None,
        level: Level = "error",
        hint: str | None = None,
    ) -> None:
        """Record the same kind of problem for several rows (one message, or one per row)."""
        numbers: list[int] = np.asarray(rows).tolist()
        texts = [messages] * len(numbers) if isinstance(messages, str) else list(messages)
        self.problems.extend(
            Problem(int(r), field, m, level, hint) for r, m in zip(numbers, texts, strict=True)
        )

    def sorted_problems(self) -> list[Problem]:
        """Errors first, then by row."""
        return sorted(
            self.problems,
            key=lambda p: (p.level != "error", p.row if p.row is not None else -1, p.field or ""),
        )

    def summary(self) -> str:
        """One line: what was (or would be) done, or why nothing was."""
        label = f"{self.kind} from {self.source}"
        if not self.ok:
            return (
                f"导入失败 import refused: {len(self.errors)} error(s), "
                f"{len(self.warnings)} warning(s) in {self.rows} {self.unit}(s) of {label}; "
                "nothing was changed"
            )
        verb = "would import" if self.dry_run else "imported"
        zh = "检查通过(未写入)" if self.dry_run else "导入成功"
        done = f"{self.inserted} new"
        if self.updated:
            done += f", {self.updated} updated"
        return f"{zh} {verb} {label}: {done}; {len(self.warnings)} warning(s)"

    def lines(self, limit: int | None = 50) -> list[str]:
        """The report as text lines for people, errors first."""
        out = []
        problems = self.sorted_problems()
        shown = problems if limit is None else problems[:limit]
        for p in shown:
            where = f"{self.unit} {p.row}" if p.row is not None else "file"
            if p.field:
                where += f" [{p.field}]"
            text = f"{LEVEL_LABELS[p.level]:<16} {where}: {p.message}"
            if p.hint:
                text += f"\n{'':<17}→ {p.hint}"
            out.append(text)
        if len(problems) > len(shown):
            out.append(f"… and {len(problems) - len(shown)} more (write them all with --report)")
        out.append(self.summary())
        return out

    def to_csv(self, path: Path) -> None:
        """Write every problem to a CSV (UTF-8 with BOM, so Excel shows the Chinese)."""
        with Path(path).open("w", newline="", encoding="utf-8-sig") as fh:
            writer = csv.writer(fh)
            writer.writerow([self.unit, "field", "level", "message", "hint"])
            for p in self.sorted_problems():
                writer.writerow([p.row or "", p.field or "", p.level, p.message, p.hint or ""])


class ImportFailed(InvalidInput):
    """A file with at least one error: nothing was written; the report says what and where."""

    code = "import_failed"

    def __init__(self, report: ImportReport):
        first = report.errors[0] if report.errors else None
        super().__init__(
            report.summary() if first is None else f"{first.message} ({report.summary()})",
            field=first.field if first else None,
            row=first.row if first else None,
        )
        self.report = report
