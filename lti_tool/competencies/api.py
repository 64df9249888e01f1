"""The competency JSON API under ``/api``: thin views, one service call each.

Authentication: HTTP Basic with an admin source's key and secret (the credentials of
``trellis sources add NAME --admin``), as for ``/xapi``. Errors use the one JSON error shape of
`lti_tool.errors`; every service error a client can cause becomes a 4xx.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, Response, jsonify, request
from marshmallow import Schema
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from competency_models.frameworks import FrameworkImportError
from competency_models.mapping import RuleSetError
from lti_tool import db
from lti_tool.competencies import frameworks_store, programmes, reports, rulesets_store
from lti_tool.competencies import schemas as s
from lti_tool.competencies.clock import utcnow
from lti_tool.competencies.openapi import document, operation
from lti_tool.errors import ApiError, error_response
from lti_tool.lrs.sources import authenticate

bp = Blueprint("competency_api", __name__, url_prefix="/api")

_CHALLENGE = 'Basic realm="Trellis API", charset="UTF-8"'
_SERVICE_ERRORS = (
    frameworks_store.FrameworkStoreError,
    rulesets_store.RuleSetStoreError,
    programmes.ProgrammeError,
)


def _load(schema: type[Schema]) -> dict[str, Any]:
    loaded: dict[str, Any] = schema().load(request.args.to_dict())
    return loaded


def _json(schema: type[Schema]) -> dict[str, Any]:
    """The request's JSON object body, loaded (validated) with ``schema``."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(
            400,
            "send a JSON object as the body, with Content-Type: application/json",
            fields={"body": ["not a JSON object"]},
        )
    loaded: dict[str, Any] = schema().load(data)
    return loaded


@contextmanager
def _unit_of_work(session: Session) -> Iterator[None]:
    """Run a write use case and commit it; nothing is written when it raises.

    A concurrent request that wrote the same row first is a 409, not a 500.
    """
    try:
        yield
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ApiError(409, "changed by another request at the same time; try again") from None
    except BaseException:
        session.rollback()
        raise


@bp.before_request
def _authenticate() -> Response | None:
    if request.endpoint == "competency_api.openapi_document":
        return None
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    source = None
    if scheme.lower() == "basic" and encoded.strip():
        try:
            key, separator, secret = (
                base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
            )
        except (binascii.Error, UnicodeDecodeError):
            separator = ""
        if separator:
            source = authenticate(db.session(), key, secret)
    if source is None or not source.is_admin:
        response = error_response(
            401, "send HTTP Basic credentials of an admin source (trellis sources add --admin)"
        )
        response.headers["WWW-Authenticate"] = _CHALLENGE
        return response
    return None


@bp.errorhandler(FrameworkImportError)
def _invalid_framework(error: FrameworkImportError) -> Response:
    lines = str(error).splitlines()
    return error_response(
        400,
        f"nothing imported: {lines[0]}",
        code="invalid_framework",
        fields={"problems": list(error.problems)},
    )


@bp.errorhandler(RuleSetError)
def _invalid_ruleset(error: RuleSetError) -> Response:
    return error_response(
        400,
        "nothing added: invalid rule set",
        code="invalid_ruleset",
        fields={"problems": list(error.problems)},
    )


def _service_error(error: Exception) -> Response:
    status = int(getattr(error, "status", 400))
    field = getattr(error, "field", None)
    return error_response(status, str(error), fields={field: [str(error)]} if field else None)


for _error in _SERVICE_ERRORS:
    bp.register_error_handler(_error, _service_error)


@bp.errorhandler(reports.NotFound)
def _not_found(error: reports.NotFound) -> Response:
    return error_response(404, str(error))


def _body() -> bytes:
    data = request.get_data(cache=False)
    if not data:
        raise ApiError(400, "send the file as the request body", fields={"body": ["empty"]})
    return data


# --- documentation ---------------------------------------------------------------------------


@bp.get("/openapi.json")
@operation(
    method="GET",
    path="/api/openapi.json",
    summary="This API's OpenAPI document",
    tag="documentation",
    public=True,
    errors=(),
)
def openapi_document() -> Response:
    """The OpenAPI 3.1 document of ``/api``."""
    return jsonify(document())


# --- frameworks ------------------------------------------------------------------------------


@bp.get("/frameworks")
@operation(
    method="GET",
    path="/api/frameworks",
    summary="List stored framework versions",
    tag="frameworks",
    response=s.FrameworkListSchema,
    errors=(401,),
)
def list_frameworks() -> Response:
    """Every stored framework version."""
    rows = frameworks_store.list_frameworks(db.session())
    return jsonify(s.FrameworkListSchema().dump({"frameworks": rows}))


@bp.post("/frameworks")
@operation(
    method="POST",
    path="/api/frameworks",
    summary="Import a framework (CASE, CSV, Trellis)",
    tag="frameworks",
    query=s.ImportQuery,
    response=s.ImportedSchema,
    status=201,
    request_body="The file: a CASE 1.0/1.1 CFPackage, Trellis JSON or CSV (detected). "
    "An invalid file is refused with the first problems listed; nothing is imported.",
    request_content_types=("application/json", "text/csv"),
    errors=(400, 401, 409, 413),
)
def import_framework() -> tuple[Response, int]:
    """Import a framework; 201 when new, 200 when already stored."""
    args = _load(s.ImportQuery)
    session = db.session()
    version, created = frameworks_store.import_framework(
        session, _body(), filename=args["filename"], now=utcnow()
    )
    session.commit()
    framework = version.framework
    body = {"id": framework.id, "version": framework.version, "created": created}
    return jsonify(s.ImportedSchema().dump(body)), 201 if created else 200


@bp.get("/frameworks/<framework_id>")
@operation(
    method="GET",
    path="/api/frameworks/<framework_id>",
    summary="A framework with items, scale, source and notes",
    tag="frameworks",
    query=s.VersionQuery,
    response=s.FrameworkDetailSchema,
)
def get_framework(framework_id: str) -> Response:
    """A framework version with its provenance, items, scale and default method."""
    args = _load(s.VersionQuery)
    return _framework_detail(db.session(), framework_id, args["version"])


@bp.patch("/frameworks/<framework_id>")
@operation(
    method="PATCH",
    path="/api/frameworks/<framework_id>",
    summary="Set or clear a framework's default estimation method",
    tag="frameworks",
    body=s.FrameworkSettingsSchema,
    response=s.FrameworkDetailSchema,
)
def update_framework(framework_id: str) -> Response:
    """Set the framework's method (all versions); rebuild to recompute past estimates."""
    body = _json(s.FrameworkSettingsSchema)
    session = db.session()
    with _unit_of_work(session):
        frameworks_store.set_framework_method(session, framework_id, body["method"], now=utcnow())
    return _framework_detail(session, framework_id, None)


def _framework_detail(session: Session, framework_id: str, version: str | None) -> Response:
    found = frameworks_store.get_framework(session, framework_id, version)
    detail = {
        **frameworks_store.describe(found),
        "method": frameworks_store.framework_method_config(session, framework_id),
    }
    return jsonify(s.FrameworkDetailSchema().dump(detail))


@bp.get("/frameworks/<framework_id>/export")
@operation(
    method="GET",
    path="/api/frameworks/<framework_id>/export",
    summary="Export a framework as CASE JSON, CSV or Trellis JSON",
    tag="frameworks",
    query=s.ExportQuery,
    response_content_type="application/json",
)
def export_framework(framework_id: str) -> Response:
    """The framework file, byte-stable."""
    args = _load(s.ExportQuery)
    version = frameworks_store.get_framework(db.session(), framework_id, args["version"])
    data = frameworks_store.export_framework(version.framework, args["format"])
    mimetype = "text/csv" if args["format"] == "csv" else "application/json"
    return Response(data, mimetype=mimetype)


# --- rule sets -------------------------------------------------------------------------------


@bp.get("/rulesets")
@operation(
    method="GET",
    path="/api/rulesets",
    summary="List stored rule-set versions",
    tag="rulesets",
    response=s.RuleSetListSchema,
    errors=(401,),
)
def list_rulesets() -> Response:
    """Every stored rule-set version."""
    rows = rulesets_store.list_rulesets(db.session())
    return jsonify(s.RuleSetListSchema().dump({"rulesets": rows}))


@bp.post("/rulesets")
@operation(
    method="POST",
    path="/api/rulesets",
    summary="Add a rule-set version (JSON or YAML)",
    tag="rulesets",
    query=s.AddRuleSetQuery,
    response=s.RuleSetDetailSchema,
    status=201,
    request_body="The rule set as JSON or YAML (docs/rules.md). Invalid: 400 listing "
    "every problem; nothing is stored.",
    request_content_types=("application/json", "application/yaml"),
    errors=(400, 401, 409, 413),
)
def add_ruleset() -> tuple[Response, int]:
    """Add a rule-set version; the first version of a rule set becomes active."""
    args = _load(s.AddRuleSetQuery)
    try:
        text = _body().decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "the rule set is not UTF-8 text") from None
    session = db.session()
    row, created = rulesets_store.add_ruleset(
        session, text, now=utcnow(), activate=args["activate"]
    )
    session.commit()
    return jsonify(s.RuleSetDetailSchema().dump(row)), 201 if created else 200


@bp.get("/rulesets/<ruleset_id>")
@operation(
    method="GET",
    path="/api/rulesets/<ruleset_id>",
    summary="A rule set's active (or named) version",
    tag="rulesets",
    query=s.RuleSetVersionQuery,
    response=s.RuleSetDetailSchema,
)
def get_ruleset(ruleset_id: str) -> Response:
    """A rule-set version with its text."""
    args = _load(s.RuleSetVersionQuery)
    row = rulesets_store.get_ruleset(db.session(), ruleset_id, args["version"])
    return jsonify(s.RuleSetDetailSchema().dump(row))


@bp.post("/rulesets/<ruleset_id>/versions/<int:version>/activate")
@operation(
    method="POST",
    path="/api/rulesets/<ruleset_id>/versions/<version>/activate",
    summary="Make a stored version the active one",
    tag="rulesets",
    response=s.RuleSetDetailSchema,
)
def activate_ruleset(ruleset_id: str, version: int) -> Response:
    """Activate a version; rebuild afterwards to apply it to past statements."""
    session = db.session()
    row = rulesets_store.activate_ruleset(session, ruleset_id, version)
    session.commit()
    return jsonify(s.RuleSetDetailSchema().dump(row))


# --- programmes and teachers -----------------------------------------------------------------


@bp.get("/programmes")
@operation(
    method="GET",
    path="/api/programmes",
    summary="List programmes",
    tag="programmes",
    response=s.ProgrammeListSchema,
    errors=(401,),
)
def list_programmes() -> Response:
    """Every programme."""
    rows = programmes.list_programmes(db.session())
    return jsonify(s.ProgrammeListSchema().dump({"programmes": rows}))


@bp.post("/programmes")
@operation(
    method="POST",
    path="/api/programmes",
    summary="Create a programme (as trellis programmes add)",
    tag="programmes",
    body=s.ProgrammeCreateSchema,
    response=s.ProgrammeDetailSchema,
    status=201,
    errors=(400, 401, 409),
)
def create_programme() -> tuple[Response, int, dict[str, str]]:
    """Create a programme with its courses, frameworks, rule sets, phases and method."""
    body = _json(s.ProgrammeCreateSchema)
    session = db.session()
    with _unit_of_work(session):
        programme = programmes.create_programme(
            session, body.pop("id"), body.pop("title"), now=utcnow(), **body
        )
    location = {"Location": f"/api/programmes/{programme.id}"}
    return _programme_detail(session, programme.id), 201, location


@bp.get("/programmes/<programme_id>")
@operation(
    method="GET",
    path="/api/programmes/<programme_id>",
    summary="A programme with its courses, frameworks, rule sets and method",
    tag="programmes",
    response=s.ProgrammeDetailSchema,
)
def get_programme(programme_id: str) -> Response:
    """One programme, as it is configured."""
    return _programme_detail(db.session(), programme_id)


@bp.patch("/programmes/<programme_id>")
@operation(
    method="PATCH",
    path="/api/programmes/<programme_id>",
    summary="Change some of a programme's settings",
    tag="programmes",
    body=s.ProgrammeUpdateSchema,
    response=s.ProgrammeDetailSchema,
    errors=(400, 401, 404, 409),
)
def update_programme(programme_id: str) -> Response:
    """Change the fields sent; rebuild afterwards to recompute past estimates."""
    return _update_programme(programme_id, s.ProgrammeUpdateSchema)


@bp.put("/programmes/<programme_id>")
@operation(
    method="PUT",
    path="/api/programmes/<programme_id>",
    summary="Replace a programme's settings",
    tag="programmes",
    body=s.ProgrammeReplaceSchema,
    response=s.ProgrammeDetailSchema,
    errors=(400, 401, 404, 409),
)
def replace_programme(programme_id: str) -> Response:
    """Replace every setting but the id; rebuild afterwards to recompute past estimates."""
    return _update_programme(programme_id, s.ProgrammeReplaceSchema)


def _update_programme(programme_id: str, schema: type[Schema]) -> Response:
    body = _json(schema)
    session = db.session()
    with _unit_of_work(session):
        programmes.update_programme(session, programme_id, **body)
    return _programme_detail(session, programme_id)


def _programme_detail(session: Session, programme_id: str) -> Response:
    programme = programmes.get_programme(session, programme_id)
    detail = programmes.describe_programme(session, programme)
    return jsonify(s.ProgrammeDetailSchema().dump(detail))


@bp.get("/programmes/<programme_id>/matrix")
@operation(
    method="GET",
    path="/api/programmes/<programme_id>/matrix",
    summary="The cohort's teachers × competencies",
    tag="programmes",
    response=s.CohortMatrixSchema,
)
def cohort_matrix(programme_id: str) -> Response:
    """Each teacher's level of each competency in a programme."""
    return jsonify(s.CohortMatrixSchema().dump(reports.cohort_matrix(db.session(), programme_id)))


@bp.get("/teachers/<person_id>/estimates")
@operation(
    method="GET",
    path="/api/teachers/<person_id>/estimates",
    summary="A teacher's current estimates and roll-up",
    tag="teachers",
    query=s.ProgrammeQuery,
    response=s.TeacherEstimatesSchema,
)
def teacher_estimates(person_id: str) -> Response:
    """Current estimates with intervals and levels, rolled up to parents and frameworks."""
    args = _load(s.ProgrammeQuery)
    found = reports.teacher_estimates(db.session(), person_id, programme_id=args["programme"])
    return jsonify(s.TeacherEstimatesSchema().dump(found))


@bp.get("/teachers/<person_id>/trajectories/<framework_id>/<code>")
@operation(
    method="GET",
    path="/api/teachers/<person_id>/trajectories/<framework_id>/<code>",
    summary="A teacher's trajectory of one competency",
    tag="teachers",
    query=s.TrajectoryQuery,
    response=s.TrajectorySchema,
)
def teacher_trajectory(person_id: str, framework_id: str, code: str) -> Response:
    """Trajectory points, cut by date range or programme phase."""
    args = _load(s.TrajectoryQuery)
    found = reports.teacher_trajectory(
        db.session(),
        person_id,
        framework_id,
        code,
        programme_id=args["programme"],
        since=args["since"],
        until=args["until"],
        phase=args["phase"],
    )
    return jsonify(s.TrajectorySchema().dump(found))


@bp.get("/teachers/<person_id>/evidence")
@operation(
    method="GET",
    path="/api/teachers/<person_id>/evidence",
    summary="A teacher's evidence with provenance",
    tag="teachers",
    query=s.EvidenceQuery,
    response=s.EvidenceListSchema,
)
def teacher_evidence(person_id: str) -> Response:
    """Evidence, newest first."""
    args = _load(s.EvidenceQuery)
    found = reports.teacher_evidence(
        db.session(),
        person_id,
        programme_id=args["programme"],
        framework_id=args["framework"],
        code=args["code"],
        limit=args["limit"],
    )
    return jsonify(s.EvidenceListSchema().dump(found))


@bp.get("/teachers/<person_id>/explanations/<framework_id>/<code>")
@operation(
    method="GET",
    path="/api/teachers/<person_id>/explanations/<framework_id>/<code>",
    summary="The evidence and statements behind one estimate",
    tag="teachers",
    query=s.ProgrammeQuery,
    response=s.ExplanationSchema,
)
def teacher_explanation(person_id: str, framework_id: str, code: str) -> Response:
    """Each piece of evidence's share and contribution, and any caps applied."""
    args = _load(s.ProgrammeQuery)
    found = reports.explanation(
        db.session(), person_id, framework_id, code, programme_id=args["programme"]
    )
    return jsonify(s.ExplanationSchema().dump(found))
