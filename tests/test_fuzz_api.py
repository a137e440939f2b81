"""API fuzzing: Schemathesis sends generated requests for every operation of the OpenAPI document
to the real Django WSGI application, as staff of several roles, and checks that no answer is a
5xx and that every documented answer matches its response schema.

The document is built in process by drf-spectacular's generator (GET /api/schema/ needs a login).
Requests go through the WSGI handler (middleware, token authentication, views, services, the
test database); each runs in a savepoint rolled back afterwards, so every case meets the same
small dataset: a 海淀 clerk's office, Beijing and 吉林 reviewers, a ministry finance user, a
supervisor, an admin, an online channel client, a person with accounts and a completed
transfer leg whose transfer number, person and month are offered as path parameters.

Generation is bounded and derandomised (the same cases on every run): about a minute on 2 cores.
Run with -s to see the figures.
"""

import json
import traceback
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from registry.models import AccountStatus
from tests.conftest import region
from tests.factories import AccountFactory, MonthFactory

MAX_EXAMPLES = 12  # per operation and strategy (positive, negative, known path values)


@dataclass
class Figures:
    operations: list[str] = field(default_factory=list)
    cases: int = 0
    by_role: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    server_errors: list[str] = field(default_factory=list)
    schema_violations: list[str] = field(default_factory=list)
    other_failures: list[str] = field(default_factory=list)
    # the first full report of each kind of problem (see `key` below)
    distinct: dict[tuple, str] = field(default_factory=dict)

    def summary(self) -> str:
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        roles = ", ".join(f"{role}: {n}" for role, n in self.by_role.items())
        return (
            f"API fuzzing: {len(self.operations)} operations, {self.cases} cases sent; "
            f"5xx responses: {len(self.server_errors)}; "
            f"schema violations: {len(self.schema_violations)}; "
            f"other failures: {len(self.other_failures)}; "
            f"distinct problems: {len(self.distinct)}\n"
            f"  statuses: {statuses}\n  roles: {roles}"
        )


def openapi_document() -> dict:
    """The document GET /api/schema/ serves, without going through its login."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated, renderer_context={}))


@pytest.fixture
def wsgi_app():
    """Django's real WSGI handler. Like Django's test client, keep request start and end from
    closing the connection that holds the test's transaction; keep each unhandled exception's
    traceback for the report."""
    errors: list[str] = []

    def record(sender, request=None, **kwargs):
        errors.append(traceback.format_exc())

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    got_request_exception.connect(record)
    try:
        app = WSGIHandler()
        app.errors = errors
        yield app
    finally:
        got_request_exception.disconnect(record)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(make_staff, office, jilin_office, national_office, province_office):
    """Role name → token key of a user of that role."""
    users = {
        "haidian_clerk": make_staff("clerk", office=office, username="fz_clerk"),
        "beijing_reviewer": make_staff(
            "reviewer", office=province_office("110000"), username="fz_bj_reviewer"
        ),
        "jilin_reviewer": make_staff("reviewer", office=jilin_office, username="fz_jl_reviewer"),
        "ministry_finance": make_staff(
            "ministry", "finance", office=national_office, username="fz_moh_finance"
        ),
        "supervisor": make_staff("supervisor", office=office, username="fz_supervisor"),
        "admin": make_staff("admin", office=province_office("110000"), username="fz_admin"),
        "channel": make_staff("channel", office=office, username="fz_channel"),
    }
    return {role: Token.objects.get_or_create(user=user)[0].key for role, user in users.items()}


@pytest.fixture
def known_values(person, complete_leg):
    """Path parameter name → values that resolve to existing records."""
    account = AccountFactory(
        person=person,
        region=region("110108"),
        province=region("110000"),
        status=AccountStatus.CONTRIBUTING,
        individual_balance_fen=1_000_000,
    )
    MonthFactory(account=account, base_fen=500_000)
    leg = complete_leg("220000", "110000")
    return {
        "id_number": [person.id_number, leg.application.person.id_number],
        "transfer_no": [leg.transfer_no],
        "application_no": [leg.application.application_no],
        "name": ["refunds", "whitelist", "transfer"],
        "month": [f"{timezone.localdate():%Y-%m}", "2020-01"],
    }


def test_api_fuzzing(db, wsgi_app, tokens, known_values):
    document = openapi_document()
    schema = schemathesis.openapi.from_dict(document)
    schema.app = wsgi_app
    figures = Figures()
    checks = [not_a_server_error, response_schema_conformance]
    roles = sorted(tokens)

    for result in schema.get_all_operations():
        operation = result.ok()
        figures.operations.append(operation.label)
        path_names = {p.name for p in operation.path_parameters}
        fixed = {n: st.sampled_from(known_values[n]) for n in path_names if n in known_values}

        strategies = []
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategies.append(operation.as_strategy(generation_mode=mode))
        if fixed:
            strategies.append(
                st.fixed_dictionaries(fixed).flatmap(
                    lambda values, op=operation: op.as_strategy(path_parameters=values)
                )
            )

        @settings(
            max_examples=MAX_EXAMPLES * len(strategies),
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=st.one_of(strategies))
        def fuzz(case):
            role = roles[figures.cases % len(roles)]  # each role in turn
            figures.cases += 1
            figures.by_role[role] = figures.by_role.get(role, 0) + 1
            wsgi_app.errors.clear()
            headers = {"Authorization": f"Token {tokens[role]}"}
            with transaction.atomic():
                response = case.call(headers=headers)
                transaction.set_rollback(True)
            figures.statuses[response.status_code] = (
                figures.statuses.get(response.status_code, 0) + 1
            )
            try:
                case.validate_response(response, checks=checks, headers=headers)
            except FailureGroup as group:
                where = f"{case.operation.label} as {role}: {case.as_curl_command(headers=headers)}"
                for failure in group.exceptions:
                    detail = f"{where}\n  {failure.title}: {failure.message}"
                    # one report per operation, status, check and place in the schema
                    key = (
                        case.operation.label,
                        response.status_code,
                        failure.title,
                        str(getattr(failure, "schema_path", "")),
                        str(getattr(failure, "instance_path", "")),
                    )
                    if response.status_code >= 500:
                        trace = "".join(wsgi_app.errors) or response.text[:2000]
                        detail = f"{detail}\n{trace}"
                        figures.server_errors.append(detail)
                    elif "schema" in failure.title.lower():
                        figures.schema_violations.append(detail)
                    else:
                        figures.other_failures.append(detail)
                    figures.distinct.setdefault(key, detail)

        fuzz()

    problems = list(figures.distinct.values())
    report = figures.summary() + "".join(f"\n\n{problem}" for problem in problems)
    print("\n" + report)
    documented = sum(
        method in {"get", "put", "post", "patch", "delete"}
        for item in document["paths"].values()
        for method in item
    )
    assert len(figures.operations) == documented, report
    assert figures.cases >= documented * MAX_EXAMPLES, report
    assert not problems, report
