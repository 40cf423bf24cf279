"""Property-based API testing from the OpenAPI spec (schemathesis): no input may cause a 500.

Every operation of /openapi.json is called with inputs generated from its schema, as an
admin (so the write paths run too), against the two-village town in PostGIS.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from sqlalchemy import create_engine

from service.app import create_app
from service.settings import ServiceSettings


def test_no_generated_input_causes_a_server_error(two_villages_url, tokens, tmp_path):
    app = create_app(ServiceSettings(database_url=two_villages_url, data_dir=tmp_path))
    app.state.engine = create_engine(two_villages_url)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    seen: list[int] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=20,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case) -> None:
            response = case.call(headers=tokens["admin"])
            seen.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} → {response.status_code}")

        call()
    app.state.engine.dispose()
    assert failures == []
    assert len(seen) > 100 and any(code < 300 for code in seen)
