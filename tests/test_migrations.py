"""The migrations and the models describe the same schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from geoalchemy2 import alembic_helpers

import geo.notify.models
import geo.sites.models  # noqa: F401 - registers site_choice on Base.metadata
from geo.models import Base


def test_models_match_the_migrated_schema(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": alembic_helpers.include_object, "compare_type": True}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []
