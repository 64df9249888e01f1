"""The OpenAPI 3.1 document of ``/api``, written from the routes' marshmallow schemas.

Each view registers its operation with `operation`; `document` turns those records and the
schemas (fields → JSON Schema) into the document served at ``/api/openapi.json``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from marshmallow import Schema, fields, validate

from lti_tool.competencies.schemas import ErrorSchema

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Operation:
    """One documented operation."""

    method: str
    path: str
    """Flask rule syntax: ``/api/frameworks/<framework_id>``."""
    summary: str
    tag: str
    query: type[Schema] | None = None
    response: type[Schema] | None = None
    response_content_type: str = "application/json"
    request_body: str | None = None
    """Description of a raw request body (file upload), if any."""
    request_content_types: tuple[str, ...] = ()
    body: type[Schema] | None = None
    """The schema of a JSON request body, if any."""
    errors: tuple[int, ...] = (400, 401, 404)
    status: int = 200
    public: bool = False


OPERATIONS: list[Operation] = []
_PARAMETER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def operation(**spec: Any) -> Callable[[F], F]:
    """Record a view's operation for the document (the view itself is unchanged)."""

    def register(view: F) -> F:
        OPERATIONS.append(Operation(**spec))
        return view

    return register


def openapi_path(rule: str) -> str:
    """``/a/<x>/<int:y>`` → ``/a/{x}/{y}``."""
    return _PARAMETER.sub(r"{\1}", rule)


_SIMPLE: dict[type[fields.Field[Any]], dict[str, Any]] = {
    fields.String: {"type": "string"},
    fields.Integer: {"type": "integer"},
    fields.Float: {"type": "number"},
    fields.Boolean: {"type": "boolean"},
    fields.AwareDateTime: {"type": "string", "format": "date-time"},
    fields.DateTime: {"type": "string", "format": "date-time"},
}


def field_schema(field_: fields.Field[Any], components: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of one marshmallow field."""
    schema: dict[str, Any]
    if isinstance(field_, fields.Nested):
        nested = field_.nested
        assert isinstance(nested, type) and issubclass(nested, Schema)
        schema = {"$ref": f"#/components/schemas/{schema_component(nested, components)}"}
    elif isinstance(field_, fields.List):
        schema = {"type": "array", "items": field_schema(field_.inner, components)}
    elif isinstance(field_, fields.Dict):
        schema = {"type": "object"}
        if field_.value_field is not None:
            schema["additionalProperties"] = field_schema(field_.value_field, components)
    else:
        schema = next(
            (dict(spec) for kind, spec in _SIMPLE.items() if isinstance(field_, kind)), {}
        )
    for validator in field_.validators:
        if isinstance(validator, validate.OneOf):
            schema["enum"] = list(validator.choices)
        if isinstance(validator, validate.Range):
            if validator.min is not None:
                schema["minimum"] = validator.min
            if validator.max is not None:
                schema["maximum"] = validator.max
    if field_.allow_none and "$ref" not in schema and "type" in schema:
        schema["type"] = [schema["type"], "null"]
    description = field_.metadata.get("description")
    if description:
        schema["description"] = description
    return schema


def schema_component(schema: type[Schema], components: dict[str, Any]) -> str:
    """Add a schema to the components (once) and return its name."""
    name = schema.__name__.removesuffix("Schema") or schema.__name__
    if name in components:
        return name
    components[name] = {}  # placeholder against recursion
    instance = schema()
    properties = {}
    required = []
    for attribute, field_ in instance.fields.items():
        key = field_.data_key or attribute
        properties[key] = field_schema(field_, components)
        if field_.required:
            required.append(key)
    body: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        body["required"] = required
    if schema.__doc__:
        body["description"] = schema.__doc__.strip().splitlines()[0]
    components[name] = body
    return name


def _parameters(op: Operation, components: dict[str, Any]) -> list[dict[str, Any]]:
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PARAMETER.findall(op.path)
    ]
    if op.query is not None:
        for attribute, field_ in op.query().fields.items():
            parameters.append(
                {
                    "name": field_.data_key or attribute,
                    "in": "query",
                    "required": False,
                    "schema": field_schema(field_, components),
                }
            )
    return parameters


def document() -> dict[str, Any]:
    """The OpenAPI document of every registered operation."""
    components: dict[str, Any] = {}
    error_name = schema_component(ErrorSchema, components)
    paths: dict[str, dict[str, Any]] = {}
    for op in sorted(OPERATIONS, key=lambda o: (o.path, o.method)):
        entry: dict[str, Any] = {
            "summary": op.summary,
            "tags": [op.tag],
            "operationId": f"{op.method.lower()}_{openapi_path(op.path)}".replace("/", "_")
            .replace("{", "")
            .replace("}", ""),
            "parameters": _parameters(op, components),
        }
        if op.public:
            entry["security"] = []
        if op.request_body:
            entry["requestBody"] = {
                "required": True,
                "description": op.request_body,
                "content": {kind: {} for kind in op.request_content_types},
            }
        if op.body is not None:
            ref = {"$ref": f"#/components/schemas/{schema_component(op.body, components)}"}
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": ref}},
            }
        content: dict[str, Any] = {}
        if op.response is not None:
            ref = {"$ref": f"#/components/schemas/{schema_component(op.response, components)}"}
            content[op.response_content_type] = {"schema": ref}
        else:
            content[op.response_content_type] = {}
        responses: dict[str, Any] = {str(op.status): {"description": "OK", "content": content}}
        for status in op.errors:
            if op.public and status == 401:
                continue
            responses[str(status)] = {
                "description": _ERROR_WORDS.get(status, "error"),
                "content": {
                    "application/json": {"schema": {"$ref": f"#/components/schemas/{error_name}"}}
                },
            }
        entry["responses"] = responses
        paths.setdefault(openapi_path(op.path), {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Trellis competency API",
            "version": "1",
            "description": (
                "Frameworks, rule sets, programmes, and each teacher's estimates, trajectories, "
                "evidence and explanations. Authenticate with HTTP Basic using the key and "
                "secret of an admin source (`trellis sources add NAME --admin`), as for /xapi. "
                'Every error has the shape {"error": {status, code, message, fields?, '
                "request_id}}."
            ),
        },
        "security": [{"basicAuth": []}],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {"basicAuth": {"type": "http", "scheme": "basic"}},
        },
    }


_ERROR_WORDS = {
    400: "invalid request (fields name the problems)",
    401: "missing, unknown or non-admin credentials",
    404: "not found",
    409: "conflicts with what is stored",
    413: "body too large",
}


__all__ = ["OPERATIONS", "Operation", "document", "openapi_path", "operation"]
