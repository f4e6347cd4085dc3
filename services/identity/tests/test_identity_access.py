"""Who may call the account routes is declared in the OpenAPI document (the role matrix of the
security suite calls every operation as every role and holds the routes to it)."""

from identity.main import app


def test_only_employees_may_turn_two_factor_login_off() -> None:
    operation = app.openapi()["paths"]["/api/auth/mfa/disable"]["post"]
    assert (operation["x-access"], operation["x-roles"]) == ("roles", ["employee"])


def test_the_import_documents_its_report_and_the_usual_errors() -> None:
    responses = app.openapi()["paths"]["/api/users/import"]["post"]["responses"]
    schemas = responses["422"]["content"]["application/json"]["schema"]["anyOf"]
    assert {"$ref": "#/components/schemas/ImportReport"} in schemas
    assert {"$ref": "#/components/schemas/ErrorBody"} in schemas
    assert responses["415"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
