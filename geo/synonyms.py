"""The town's words for categories (生活垃圾 → household_garbage), kept in `category_synonym`.

Importers resolve a written category through these first (geo.io.importer); staff add
words as they meet them, with `cunrong category synonym-add` or POST /categories/synonyms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from geo.errors import InvalidInput, NotFound, UnknownCategory

MAX_SYNONYM_LENGTH = 100


@dataclass(frozen=True)
class Synonym:
    """One word and the category it stands for."""

    synonym: str
    category: str
    added_by: str | None


def list_synonyms(conn: Connection, category: str | None = None) -> list[Synonym]:
    """The synonyms, by category then word (of one category when given)."""
    rows = conn.execute(
        text(
            "SELECT s.synonym, s.category_code, s.added_by FROM category_synonym s"
            " JOIN category c ON c.code = s.category_code"
            " WHERE CAST(:c AS text) IS NULL OR s.category_code = :c"
            " ORDER BY c.sort_order, s.synonym"
        ),
        {"c": category},
    ).all()
    return [Synonym(r.synonym, r.category_code, r.added_by) for r in rows]


def categories_with_synonyms(conn: Connection, codes: Sequence[str] | None = None) -> list[Any]:
    """The categories in their order (code, labels, scope, clause) with their synonyms as a
    list (`synonyms`, by word); only those of `codes` when given."""
    return list(
        conn.execute(
            text(
                "SELECT c.code, c.label_zh, c.label_en, c.scope, c.clause,"
                " coalesce(array_agg(s.synonym ORDER BY s.synonym)"
                "  FILTER (WHERE s.synonym IS NOT NULL), '{}') AS synonyms"
                " FROM category c LEFT JOIN category_synonym s ON s.category_code = c.code"
                " WHERE CAST(:codes AS text[]) IS NULL OR c.code = ANY(:codes)"
                " GROUP BY c.code ORDER BY c.sort_order, c.code"
            ),
            {"codes": list(codes) if codes is not None else None},
        ).mappings()
    )


def add_synonym(conn: Connection, synonym: str, category: str, *, actor: str | None) -> Synonym:
    """Say that `synonym` means `category` (replacing what it meant before, if anything)."""
    word = synonym.strip()
    if not word:
        raise InvalidInput("the synonym is empty", field="synonym")
    if len(word) > MAX_SYNONYM_LENGTH:
        raise InvalidInput(
            f"the synonym has {len(word)} characters; at most {MAX_SYNONYM_LENGTH}",
            field="synonym",
        )
    codes = set(conn.execute(text("SELECT code FROM category")).scalars())
    if category not in codes:
        raise UnknownCategory(
            f"unknown category {category!r}; expected one of {', '.join(sorted(codes))}",
            field="category",
        )
    if word in codes and word != category:
        raise InvalidInput(
            f"{word!r} is itself a category code and always means that category",
            field="synonym",
        )
    conn.execute(
        text(
            "INSERT INTO category_synonym (synonym, category_code, added_by)"
            " VALUES (:w, :c, :by) ON CONFLICT (synonym) DO UPDATE"
            " SET category_code = EXCLUDED.category_code, added_by = EXCLUDED.added_by,"
            " added_at = now()"
        ),
        {"w": word, "c": category, "by": actor},
    )
    return Synonym(word, category, actor)


def remove_synonym(conn: Connection, synonym: str) -> None:
    """Forget a synonym."""
    gone = conn.execute(
        text("DELETE FROM category_synonym WHERE synonym = :w"), {"w": synonym.strip()}
    ).rowcount
    if not gone:
        raise NotFound(f"no synonym {synonym!r}", field="synonym")
