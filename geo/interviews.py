"""约谈记录: the interviews a month's bottom ten calls for (M4), and those held, on record.

Which interviews are due follows from the month's ranking, which `scoring` computes; geo
does not import scoring, so the caller hands the bottom ten over as plain `BottomVillage`s
(`service.interviews.due_interviews` does that for a month). This module adds the people
(the village's party secretary; for two months running also its community's deputy
secretary, from the village and community tables), what was recorded as held, and whether
an interview is late: not held within `late_days` days after the ranking month.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

from geo import defaults
from geo.errors import InvalidInput, NotFound, TooLarge, mib
from geo.issue_filter import parse_month
from geo.models import INTERVIEW_LEVELS
from geo.photos import ALLOWED_FORMATS, MAX_BYTES, MAX_PIXELS, open_image
from geo.towns import in_session_town
from geo.vocab import NOTE_LEN, PERSON_LEN

INTERVIEWERS = {
    "bottom": ("分管领导", "the leader in charge"),
    "streak": ("镇主要领导", "the town's principal leader"),
}
"""Who holds the interview (M4): one month in the bottom ten → 分管领导 约谈提醒村支部书记;
two months running → 镇主要领导 约谈村支部书记及相关共同体副书记."""

INTERVIEW_EN = {
    "bottom": f"{INTERVIEWERS['bottom'][1]} interviews the party secretary",
    "streak": f"{INTERVIEWERS['streak'][1]} interviews the party secretary and the"
    " community's deputy secretary",
}
"""M4's interview in English (scoring words it in Chinese: 分管领导约谈提醒村支部书记, …)."""


def interview_wording(interview: str | None, streak: bool, lang: str) -> str | None:
    """A ranking line's interview (scoring's Chinese sentence, None when none is due) in
    `lang`: the sentence itself in Chinese, INTERVIEW_EN in English."""
    if interview is None or lang != "en":
        return interview
    return INTERVIEW_EN["streak" if streak else "bottom"]


STATUSES = ("due", "late", "held")
"""due: not held yet, still within the days allowed; late: not held, past them; held."""

DEFAULT_LATE_DAYS = defaults.INTERVIEW_LATE_DAYS
"""An interview not held within this many days after its ranking month is late."""

PDF_MIME = "application/pdf"


@dataclass(frozen=True)
class BottomVillage:
    """A village of the month's bottom ten, as the ranking gives it."""

    village: str
    rank: int
    score: float
    streak: bool


@dataclass(frozen=True)
class Interview:
    """One interview of a month: due (from the ranking) and/or held (on record)."""

    month: str
    village: str
    village_name: str
    community: str | None
    community_name: str | None
    level: str
    interviewer: str
    interviewer_en: str
    secretary: str | None
    deputy_secretary: str | None
    rank: int | None
    score: float | None
    due: bool
    deadline: date
    status: str
    held_on: date | None = None
    held_by: str | None = None
    note: str | None = None
    on_time: bool | None = None
    has_scan: bool = False
    recorded_by: str | None = None
    recorded_at: datetime | None = None

    @property
    def interviewees(self) -> str:
        """Who is interviewed, in Chinese: 村支部书记 X (及共同体副书记 Y)."""
        who = f"村支部书记{self.secretary or '（未登记）'}"
        if self.level == "streak":
            who += f"、共同体副书记{self.deputy_secretary or '（未登记）'}"
        return who

    @property
    def interviewees_en(self) -> str:
        """Who is interviewed, in English: party secretary X (and community deputy secretary Y)."""
        who = f"party secretary {self.secretary or '(not recorded)'}"
        if self.level == "streak":
            who += f", community deputy secretary {self.deputy_secretary or '(not recorded)'}"
        return who


def deadline_of(month: str, late_days: int) -> date:
    """The last day an interview of `month` is on time: `late_days` days after the month."""
    if late_days < 0:
        raise InvalidInput(f"expected late days ≥ 0, got {late_days}", field="late_days")
    first = parse_month(month)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following + timedelta(days=late_days - 1)


_PEOPLE = text(
    "SELECT v.code, v.name, v.party_secretary, c.code AS community, c.name AS community_name,"
    " c.deputy_secretary FROM village v LEFT JOIN community c ON c.id = v.community_id"
    " WHERE (CAST(:town AS int) IS NULL OR v.town_id = CAST(:town AS int))"
)

_HELD = text(
    "SELECT to_char(i.month, 'YYYY-MM') AS month, v.code AS village, i.level, i.held_on,"
    " i.held_by, i.secretary, i.deputy_secretary, i.note, i.scan_sha256 IS NOT NULL AS has_scan,"
    " i.recorded_by, i.recorded_at FROM interview i JOIN village v ON v.id = i.village_id"
    " WHERE i.month = :month AND (CAST(:town AS int) IS NULL OR v.town_id = CAST(:town AS int))"
    " ORDER BY v.code"
)


def month_interviews(
    conn: Connection,
    month: str,
    *,
    bottom: Sequence[BottomVillage],
    late_days: int = DEFAULT_LATE_DAYS,
    today: date,
    villages: Sequence[str] = (),
    town_id: int | None = None,
) -> list[Interview]:
    """The interviews of `month` (of the town `town_id`; None: every village): every village
    of `bottom` (due) joined with those on record.

    An interview on record for a village no longer in the bottom ten (its score was
    corrected since) is listed too, with `due` False. `villages` limits the list (empty:
    all). Order: worst rank first, then those not due, by village code.
    """
    first = parse_month(month)
    deadline = deadline_of(month, late_days)
    people = {r.code: r for r in conn.execute(_PEOPLE, {"town": town_id})}
    held = {r.village: r for r in conn.execute(_HELD, {"month": first, "town": town_id})}
    wanted = set(villages)
    out: list[Interview] = []
    listed: set[str] = set()
    for entry in sorted(bottom, key=lambda b: (-b.rank, b.village)):
        if wanted and entry.village not in wanted:
            continue
        listed.add(entry.village)
        level = "streak" if entry.streak else "bottom"
        out.append(
            _interview(
                month,
                entry.village,
                people.get(entry.village),
                held.get(entry.village),
                level=level,
                rank=entry.rank,
                score=entry.score,
                due=True,
                deadline=deadline,
                today=today,
            )
        )
    for code, row in sorted(held.items()):
        if code in listed or (wanted and code not in wanted):
            continue
        out.append(
            _interview(
                month,
                code,
                people.get(code),
                row,
                level=row.level,
                rank=None,
                score=None,
                due=False,
                deadline=deadline,
                today=today,
            )
        )
    return out


def _interview(
    month: str,
    code: str,
    person: Any,
    held: Any,
    *,
    level: str,
    rank: int | None,
    score: float | None,
    due: bool,
    deadline: date,
    today: date,
) -> Interview:
    zh, en = INTERVIEWERS[level]
    common: dict[str, Any] = {
        "month": month,
        "village": code,
        "village_name": person.name if person else code,
        "community": person.community if person else None,
        "community_name": person.community_name if person else None,
        "level": level,
        "interviewer": zh,
        "interviewer_en": en,
        "rank": rank,
        "score": score,
        "due": due,
        "deadline": deadline,
    }
    if held is None:
        return Interview(
            **common,
            secretary=person.party_secretary if person else None,
            deputy_secretary=(person.deputy_secretary if person and level == "streak" else None),
            status="late" if today > deadline else "due",
        )
    return Interview(
        **common,
        secretary=held.secretary,
        deputy_secretary=held.deputy_secretary,
        status="held",
        held_on=held.held_on,
        held_by=held.held_by,
        note=held.note,
        on_time=held.held_on <= deadline,
        has_scan=held.has_scan,
        recorded_by=held.recorded_by,
        recorded_at=held.recorded_at,
    )


def record_held(
    conn: Connection,
    *,
    due: Interview,
    held_on: date,
    held_by: str,
    note: str | None,
    recorded_by: str,
    today: date,
) -> None:
    """Record (or correct) that the due interview `due` took place; names as they are now."""
    if not due.due:
        raise InvalidInput(
            f"village {due.village} is not in the bottom ten of {due.month}: no interview is due",
            field="village",
        )
    first = parse_month(due.month)
    if held_on < first:
        raise InvalidInput(
            f"expected a day on or after {first:%Y-%m-%d} (the ranking month), got {held_on}",
            field="held_on",
        )
    if held_on > today:
        raise InvalidInput(f"{held_on} is in the future", field="held_on")
    held_by = held_by.strip()
    if not held_by:
        raise InvalidInput("name who held the interview", field="held_by")
    if len(held_by) > PERSON_LEN:
        raise InvalidInput(f"at most {PERSON_LEN} characters", field="held_by")
    if note is not None and len(note) > NOTE_LEN:
        raise InvalidInput(f"at most {NOTE_LEN} characters", field="note")
    if due.level not in INTERVIEW_LEVELS:
        raise InvalidInput(f"unknown interview level {due.level!r}", field="level")
    conn.execute(
        text(
            "INSERT INTO interview (month, village_id, level, held_on, held_by, secretary,"
            " deputy_secretary, note, recorded_by) SELECT :month, v.id, :level, :held_on,"
            " :held_by, :secretary, :deputy, :note, :by FROM village v WHERE v.code = :village"
            f" AND {in_session_town('v')}"
            " ON CONFLICT (month, village_id) DO UPDATE SET level = EXCLUDED.level,"
            " held_on = EXCLUDED.held_on, held_by = EXCLUDED.held_by,"
            " secretary = EXCLUDED.secretary, deputy_secretary = EXCLUDED.deputy_secretary,"
            " note = EXCLUDED.note, recorded_by = EXCLUDED.recorded_by, recorded_at = now()"
        ),
        {
            "month": first,
            "village": due.village,
            "level": due.level,
            "held_on": held_on,
            "held_by": held_by,
            "secretary": due.secretary,
            "deputy": due.deputy_secretary,
            "note": note,
            "by": recorded_by,
        },
    )


def scan_kind(
    data: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS
) -> tuple[str, str]:
    """(mime, extension) of a scan: a PDF (by its header and end marker) or a photo's format,
    within the photos' limits."""
    if not data:
        raise InvalidInput("the file is empty", field="file")
    if len(data) > max_bytes:
        raise TooLarge(
            f"the scan is {mib(len(data))}; at most {mib(max_bytes)}",
            limit="CUNRONG_MAX_PHOTO_MIB",
            field="file",
        )
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-2048:]:
            raise InvalidInput("the PDF is cut short (no %%EOF at its end)", field="file")
        return PDF_MIME, "pdf"
    try:
        image = open_image(data, max_bytes=max_bytes, max_pixels=max_pixels)
    except TooLarge:
        raise
    except InvalidInput:
        raise InvalidInput(
            "expected a PDF or an image (JPEG, PNG or WebP) of the signed record", field="file"
        ) from None
    return ALLOWED_FORMATS[image.format or ""]


def store_scan(
    conn: Connection,
    *,
    root: Path,
    month: str,
    village: str,
    data: bytes,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
) -> str:
    """Check and store the scan of a held interview (by content hash under `root`/scans)."""
    first = parse_month(month)
    exists = conn.execute(
        text(
            "SELECT i.id FROM interview i JOIN village v ON v.id = i.village_id"
            " WHERE i.month = :m AND v.code = :v"
        ),
        {"m": first, "v": village},
    ).scalar()
    if exists is None:
        raise NotFound(
            f"no interview of {village} in {month} on record: record it as held first",
            field="village",
        )
    mime, ext = scan_kind(data, max_bytes=max_bytes, max_pixels=max_pixels)
    sha = hashlib.sha256(data).hexdigest()
    relative = Path("scans") / sha[:2] / f"{sha}.{ext}"
    path = root / relative
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(path)
    conn.execute(
        text(
            "UPDATE interview SET scan_sha256 = :sha, scan_path = :path, scan_mime = :mime,"
            " scan_bytes = :bytes WHERE id = :id"
        ),
        {"sha": sha, "path": str(relative), "mime": mime, "bytes": len(data), "id": exists},
    )
    return mime


def scan_of(conn: Connection, *, month: str, village: str) -> tuple[str, str] | None:
    """(relative path, mime) of the scan of an interview on record, or None."""
    row = conn.execute(
        text(
            "SELECT i.scan_path, i.scan_mime FROM interview i JOIN village v ON v.id = i.village_id"
            " WHERE i.month = :m AND v.code = :v AND i.scan_path IS NOT NULL"
        ),
        {"m": parse_month(month), "v": village},
    ).first()
    return (row.scan_path, row.scan_mime) if row else None
