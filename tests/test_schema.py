"""The OpenAPI document (API.md's contract) generates without warnings and validates."""

import yaml
from django.core.management import call_command


def test_schema_generates_cleanly_and_validates(tmp_path, db):
    path = tmp_path / "schema.yml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(path))
    paths = yaml.safe_load(path.read_text(encoding="utf-8"))["paths"]
    for contract_path in [
        "/api/v1/auth/token/",
        "/api/v1/persons/{id_number}/",
        "/api/v1/offices/",
        "/api/v1/modules/{name}/",
    ]:
        assert contract_path in paths
