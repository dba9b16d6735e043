"""The OpenAPI document describes each notifications route for real (issue 11, item 22): who
may call it, what it answers, and the error answers in the project's `{code, message, rule}`."""

from __future__ import annotations


def test_item22_each_route_says_who_may_call_it_and_answers_a_real_schema_and_its_errors(notifications):
    spec = notifications.runtime.app.openapi()
    routes = {
        ("get", "/deliveries"): ("DeliveryView", {"401", "422"}),
        ("post", "/ops/deliveries/retry-now"): ("RetryNowAnswer", {"403"}),
    }
    for (method, path), (model, errors) in routes.items():
        operation = spec["paths"][path][method]
        assert operation["description"].startswith("Who may call it:"), path
        schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert model in str(schema), path
        for status in errors:
            assert operation["responses"][status]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorBody"
            }, (path, status)
    listing = {p["name"] for p in spec["paths"]["/deliveries"]["get"]["parameters"]}
    assert {"limit", "cursor", "caused_by", "recipient"} <= listing
    assert set(spec["components"]["schemas"]["DeliveryView"]["required"]) >= {"email_id", "status", "attempts"}
