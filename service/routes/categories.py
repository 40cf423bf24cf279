"""The town's words for problem categories (synonyms), which every importer understands."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from geo.synonyms import add_synonym, list_synonyms, remove_synonym
from service.auth import Admin, Reader
from service.deps import ConnDep

router = APIRouter(tags=["categories 类别"])


class SynonymIn(BaseModel):
    """A word the town writes for a category."""

    synonym: str = Field(..., min_length=1, max_length=100, examples=["垃圾乱倒"])
    category: str = Field(..., min_length=1, max_length=40, examples=["household_garbage"])


class SynonymOut(BaseModel):
    """A stored synonym."""

    synonym: str
    category: str
    added_by: str | None = None


@router.get("/categories/synonyms", response_model=list[SynonymOut])
def get_synonyms(
    conn: ConnDep,
    user: Reader,
    category: Annotated[str | None, Query(max_length=40)] = None,
) -> list[SynonymOut]:
    """同义词: the words importers read as each category (e.g. 蜘蛛网 → tangled_wires)."""
    del user
    return [SynonymOut(**s.__dict__) for s in list_synonyms(conn, category)]


@router.post("/categories/synonyms", status_code=201, response_model=SynonymOut)
def post_synonym(body: SynonymIn, conn: ConnDep, user: Admin) -> SynonymOut:
    """Add a synonym, or point an existing one at another category (admin)."""
    added = add_synonym(conn, body.synonym, body.category, actor=user.label)
    return SynonymOut(**added.__dict__)


@router.delete("/categories/synonyms/{synonym}", status_code=204)
def delete_synonym(
    synonym: Annotated[str, PathParam(max_length=100)], conn: ConnDep, user: Admin
) -> None:
    """Forget a synonym (admin)."""
    del user
    remove_synonym(conn, synonym)
