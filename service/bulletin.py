"""The monthly bulletin (月度通报): one month's results as an A4 PDF or a 16:9 PNG slide.

Data: the month's ranking from scoring (service.rankings), last month's for the rank
change, per-village issue counts (service.scoring_data.village_issue_counts), typical
problems and a well-rectified example from the issue reader, photos from geo.photos'
storage inlined as data URIs, and the ranking map drawn by geo.maps.static_ranking.
Rendering: a Jinja2 template with print CSS, printed by headless Chromium (subprocess,
offline, with a timeout). Why this renderer: docs/bulletin.md.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from sqlalchemy import Connection

from geo import issue_reader
from geo.errors import CunrongError, InvalidInput, NotFound
from geo.frames import villages_frame
from geo.interviews import DEFAULT_LATE_DAYS
from geo.issue_filter import IssueFilter, parse_month
from geo.issue_reader import IssueQuery
from geo.maps.static_ranking import ranking_picture
from geo.photos import ensure_public_copies, thumbnail_path
from scoring.results import MonthlyResult
from scoring.rules import Rules
from service.interviews import due_interviews
from service.rankings import month_ranking
from service.render import RenderFailed
from service.scoring_data import village_issue_counts

FORMATS = ("pdf", "png")
TYPICAL_COUNT = 3
"""How many typical problems (典型问题) the bulletin shows at most."""
INTERVIEW_STATUS_ZH = {"due": "待约谈", "held": "已约谈", "late": "逾期未约谈"}
"""How the bulletin words an interview's status (geo.interviews)."""
SLIDE_SIZE = (1920, 1080)
"""The PNG slide's pixels: 16:9 for the LED screen and the 宣传栏."""
CHROMIUM_TIMEOUT_S = 60.0

_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Example:
    """A problem shown with its photos: typical (典型问题) or well rectified (整改示范)."""

    code: str
    village: str
    village_name: str
    category: str
    description: str
    address: str
    found_on: date
    status: str
    closed_on: date | None
    open_at_month_end: bool
    before: str | None
    after: str | None


def month_bounds(month: str) -> tuple[date, date]:
    """First day of `month` and first day of the next."""
    first = parse_month(month)
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, nxt


def previous_month(month: str) -> str:
    """'2024-05' → '2024-04'; '2024-01' → '2023-12'."""
    first = parse_month(month)
    prev = first - timedelta(days=1)
    return f"{prev.year}-{prev.month:02d}"


def _photo_uri(conn: Connection, photo_id: Any, root: Path) -> str | None:
    """The photo's 320-pixel thumbnail (metadata stripped) as a data URI, or None."""
    row = issue_reader.photo_record(conn, photo_id)
    if row is None:
        return None
    original = root / row.path
    if not original.exists():
        return None
    try:
        ensure_public_copies(root, row.sha256, original)
        data = thumbnail_path(root, row.sha256).read_bytes()
    except (OSError, CunrongError):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")


def _month_issues(conn: Connection, first: date, nxt: date, towns: tuple[int, ...] | None) -> Any:
    """The issues found in the month (issue reader), with what the bulletin shows of them."""
    return issue_reader.frame(
        conn,
        IssueQuery(
            selection=IssueFilter(towns=towns),
            found_from=first,
            found_to=nxt - timedelta(days=1),
            sort=("found_on", "code"),
        ),
        properties=(
            "id",
            "code",
            "village",
            "village_name",
            "category_zh",
            "description",
            "address",
            "found_on",
            "status",
            "closed_on",
            "deadline",
        ),
    )


def _day(value: Any) -> date | None:
    """A date of the issue frame, None for a missing one (NaT/None)."""
    return None if value is None or pd.isna(value) else value


def _at_month_end(frame: Any, month_end: date) -> dict[str, tuple[int, int]]:
    """village → (closed by the month's end, overdue at the month's end: not closed by then
    and its deadline passed), over the issues found in the month."""
    out: dict[str, tuple[int, int]] = {}
    for r in frame.itertuples(index=False):
        closed_on, deadline = _day(r.closed_on), _day(r.deadline)
        closed = closed_on is not None and closed_on <= month_end
        late = not closed and deadline is not None and deadline < month_end
        c, o = out.get(r.village, (0, 0))
        out[r.village] = (c + closed, o + late)
    return out


def _examples(
    conn: Connection, result: MonthlyResult, frame: Any, nxt: date, *, photo_root: Path
) -> tuple[list[Example], Example | None]:
    """Typical problems and one well-rectified example of the month (rule: docs/bulletin.md).

    Typical: issues found in the month still not closed at the month's end (overdue
    first), one per village, villages worst-ranked first, those with a before-photo
    first; at most TYPICAL_COUNT. Well rectified: a closed issue found in the month with a
    before- and an after-photo, from the best-ranked village, closed soonest."""
    if frame.empty:
        return [], None
    ids = list(frame["id"])
    photos: dict[Any, dict[str, Any]] = {}
    for r in issue_reader.photo_rows(conn, ids):
        photos.setdefault(r["issue_id"], {}).setdefault(r["kind"], r["id"])
    rank = {s.village: s.rank for s in result.ranking}
    worst = len(rank) + 1
    month_end = nxt - timedelta(days=1)

    def open_at_end(r: Any) -> bool:
        closed_on = _day(r.closed_on)
        return closed_on is None or closed_on > month_end

    def overdue(r: Any) -> bool:
        deadline = _day(r.deadline)
        return open_at_end(r) and deadline is not None and deadline < month_end

    rows = list(frame.itertuples(index=False))
    candidates = sorted(
        (r for r in rows if open_at_end(r)),
        key=lambda r: (
            -rank.get(r.village, worst),
            not overdue(r),
            "before" not in photos.get(r.id, {}),
            r.found_on,
            r.code,
        ),
    )
    typical: list[Example] = []
    seen: set[str] = set()
    for r in candidates:
        if r.village in seen:
            continue
        seen.add(r.village)
        typical.append(_example(conn, r, photos.get(r.id, {}), photo_root, open_at_month_end=True))
        if len(typical) == TYPICAL_COUNT:
            break
    good_rows = sorted(
        (
            r
            for r in rows
            if r.status == "closed"
            and not open_at_end(r)
            and {"before", "after"} <= set(photos.get(r.id, {}))
        ),
        key=lambda r: (rank.get(r.village, worst), (r.closed_on - r.found_on).days, r.code),
    )
    good = None
    if good_rows:
        best = good_rows[0]
        good = _example(conn, best, photos[best.id], photo_root, open_at_month_end=False)
    return typical, good


def _example(
    conn: Connection, r: Any, photos: dict[str, Any], root: Path, *, open_at_month_end: bool
) -> Example:
    return Example(
        code=r.code,
        village=r.village,
        village_name=r.village_name,
        category=r.category_zh or "",
        description=r.description or "",
        address=r.address or "",
        found_on=r.found_on,
        status=r.status,
        closed_on=_day(r.closed_on),
        open_at_month_end=open_at_month_end,
        before=_photo_uri(conn, photos["before"], root) if "before" in photos else None,
        after=_photo_uri(conn, photos["after"], root) if "after" in photos else None,
    )


def bulletin_data(
    conn: Connection,
    month: str,
    *,
    rules: Rules,
    photo_root: Path,
    town_name: str,
    today: date | None = None,
    interview_late_days: int = DEFAULT_LATE_DAYS,
    town_id: int | None = None,
) -> dict[str, Any]:
    """Everything the bulletin of the town `town_id` (None: every village) shows for
    `month`; NotFound when nobody was scored then."""
    first, nxt = month_bounds(month)
    towns = None if town_id is None else (town_id,)
    result = month_ranking(conn, month, rules=rules, town_id=town_id)
    try:
        before = month_ranking(conn, previous_month(month), rules=rules, town_id=town_id)
        prev_rank: dict[str, int] = {s.village: s.rank for s in before.ranking}
    except NotFound:
        prev_rank = {}
    month_end = nxt - timedelta(days=1)
    as_of = min(month_end, today or date.today())
    counts = {
        c.village: c
        for c in village_issue_counts(conn, start=first, end=nxt, as_of=as_of, towns=towns)
    }
    issues = _month_issues(conn, first, nxt, towns)
    at_end = _at_month_end(issues, month_end)
    villages = villages_frame(conn, towns=towns)
    names = dict(zip(villages["code"], villages["name"], strict=True))
    rows = []
    for s in result.ranking:
        c = counts.get(s.village)
        prev = prev_rank.get(s.village)
        rows.append(
            {
                "rank": s.rank,
                "village": s.village,
                "name": s.name,
                "score": s.score,
                "prev_rank": prev,
                "change": None if prev is None else prev - s.rank,
                "bottom_ten": s.bottom_ten,
                "streak": s.streak,
                "interview": s.interview,
                "imputed": s.imputed,
                "found": sum(c.by_category.values()) if c else 0,
                "closed": at_end.get(s.village, (0, 0))[0],
                "overdue": at_end.get(s.village, (0, 0))[1],
                "rebounds": c.rebounds if c else 0,
            }
        )
    scores = {s.village: s.score for s in result.ranking if not s.imputed}
    top = [s.village for s in result.ranking[:5]]
    picture = ranking_picture(
        villages,
        scores,
        ranks={s.village: s.rank for s in result.ranking},
        top=top,
        bottom=list(result.bottom_ten),
    )
    typical, good = _examples(conn, result, issues, nxt, photo_root=photo_root)
    bottom = [r for r in rows if r["bottom_ten"]]
    return {
        "town": town_name,
        "month": month,
        "month_zh": f"{first.year}年{first.month}月",
        "issued": as_of,
        "rows": rows,
        "bottom": bottom,
        "interviews": [
            {
                "rank": i.rank,
                "name": i.village_name,
                "score": i.score,
                "interviewer": i.interviewer,
                "interviewees": i.interviewees,
                "deadline": i.deadline,
                "status": INTERVIEW_STATUS_ZH.get(i.status, i.status),
                "held_on": i.held_on,
            }
            for i in due_interviews(
                conn,
                month,
                rules=rules,
                late_days=interview_late_days,
                today=today or date.today(),
                result=result,
                town_id=town_id,
            )
            if i.due
        ],
        "not_scored": [names.get(code, code) for code in result.not_scored],
        "warnings": list(result.warnings),
        "map_uri": "data:image/png;base64," + base64.b64encode(picture).decode("ascii"),
        "typical": typical,
        "good": good,
        "totals": {
            "found": sum(r["found"] for r in rows),
            "closed": sum(r["closed"] for r in rows),
            "overdue": sum(r["overdue"] for r in rows),
        },
    }


def render_html(data: dict[str, Any], fmt: str) -> str:
    """The bulletin page (pdf: A4 print) or the slide (png: 1920×1080) as HTML."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    name = "bulletin.html" if fmt == "pdf" else "bulletin_slide.html"
    return env.get_template(name).render(**data)


def chromium_path() -> str:
    """The Chromium executable: CUNRONG_CHROMIUM, else chromium on PATH."""
    path = os.environ.get("CUNRONG_CHROMIUM") or shutil.which("chromium")
    path = path or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not path:
        raise RenderFailed(
            "the bulletin needs Chromium: `make browser` (apt-get install chromium "
            "fonts-noto-cjk), or set CUNRONG_CHROMIUM"
        )
    return path


def render(html: str, fmt: str, *, timeout_s: float = CHROMIUM_TIMEOUT_S) -> bytes:
    """Print `html` to PDF bytes or take a 16:9 PNG screenshot, with headless Chromium."""
    if fmt not in FORMATS:
        raise InvalidInput(f"expected format pdf or png, got {fmt!r}", field="format")
    exe = chromium_path()
    with tempfile.TemporaryDirectory(prefix="cunrong-bulletin-") as tmp:
        page = Path(tmp) / "bulletin.html"
        page.write_text(html, encoding="utf-8")
        out = Path(tmp) / f"out.{fmt}"
        args = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-extensions",
            "--hide-scrollbars",
            f"--user-data-dir={tmp}/profile",
        ]
        if fmt == "pdf":
            args += ["--no-pdf-header-footer", f"--print-to-pdf={out}"]
        else:
            args += [f"--window-size={SLIDE_SIZE[0]},{SLIDE_SIZE[1]}", f"--screenshot={out}"]
        args.append(page.as_uri())
        try:
            proc = subprocess.run(args, capture_output=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise RenderFailed(f"Chromium did not finish within {timeout_s:.0f} s") from None
        if not out.exists() or out.stat().st_size == 0:
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise RenderFailed(f"Chromium produced no {fmt} (exit {proc.returncode}): {tail}")
        return out.read_bytes()


def bulletin(
    conn: Connection,
    month: str,
    *,
    fmt: str,
    rules: Rules,
    photo_root: Path,
    town_name: str,
    today: date | None = None,
    timeout_s: float = CHROMIUM_TIMEOUT_S,
    interview_late_days: int = DEFAULT_LATE_DAYS,
    town_id: int | None = None,
) -> bytes:
    """The bulletin of `month` as PDF or PNG bytes."""
    if fmt not in FORMATS:
        raise InvalidInput(f"expected format pdf or png, got {fmt!r}", field="format")
    data = bulletin_data(
        conn,
        month,
        rules=rules,
        photo_root=photo_root,
        town_name=town_name,
        today=today,
        interview_late_days=interview_late_days,
        town_id=town_id,
    )
    return render(render_html(data, fmt), fmt, timeout_s=timeout_s)
