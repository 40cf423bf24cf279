"""The shapes of the GeoReport v2 spec's examples (wiki.open311.org/GeoReport_v2), written
down once: element names and their order, as the spec's example responses give them."""

from __future__ import annotations

SERVICE_FIELDS = (
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
)
"""GET services: one <service> (or JSON object) of the example service list."""

REQUEST_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)
"""GET requests: one <request> of the example service requests."""

POST_ANSWER_FIELDS = {"service_request_id", "service_notice", "account_id"}
"""POST requests: the example answer of a server that creates the request at once (we add
the token, which the spec's asynchronous servers give instead)."""

TOKEN_FIELDS = ("service_request_id", "token")
"""GET tokens/{token}: one <request>."""

ERROR_FIELDS = ("code", "description")
"""Every error: one <error> of the example <errors>."""

STATUSES = {"open", "closed"}

ROOTS = {
    "services": ("services", "service"),
    "requests": ("service_requests", "request"),
    "errors": ("errors", "error"),
}
