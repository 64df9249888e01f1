"""Marshmallow schemas of the competency JSON API: query parameters in, documents out.

The OpenAPI document (`lti_tool.competencies.openapi`) is generated from these, so what the API
validates and what it documents cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from lti_tool.competencies.clock import as_utc

PHASES = ("pre", "during", "post")


class Moment(fields.DateTime):
    """An ISO 8601 date or date-time, read as ``trellis programmes add`` reads it: a date is its
    midnight, a time without an offset is UTC. Written as a date-time with offset."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if isinstance(value, str):
            try:
                return as_utc(datetime.fromisoformat(value))
            except ValueError:
                pass
        raise ValidationError("Not an ISO 8601 date or date-time.")


class ProgrammeQuery(Schema):
    """``?programme=``: one programme's scope (default: the global scope, or all for estimates)."""

    programme = fields.String(load_default=None, metadata={"description": "A programme id."})


class TrajectoryQuery(ProgrammeQuery):
    """Date range or programme phase of a trajectory."""

    since = fields.AwareDateTime(load_default=None, metadata={"description": "Inclusive."})
    until = fields.AwareDateTime(load_default=None, metadata={"description": "Exclusive."})
    phase = fields.String(
        load_default=None,
        validate=validate.OneOf(PHASES),
        metadata={"description": "pre, during or post (needs a programme with phase dates)."},
    )


class EvidenceQuery(ProgrammeQuery):
    """Filters of a teacher's evidence list."""

    framework = fields.String(load_default=None)
    code = fields.String(load_default=None)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class VersionQuery(Schema):
    """``?version=``: a stored version (default: the newest, or the active one)."""

    version = fields.String(load_default=None)


class RuleSetVersionQuery(Schema):
    """``?version=``: a stored rule-set version (default: the active one)."""

    version = fields.Integer(load_default=None, validate=validate.Range(min=1))


class ExportQuery(VersionQuery):
    """``?format=``: case (1EdTech CASE 1.1 JSON), csv or trellis (Trellis JSON)."""

    format = fields.String(load_default="case", validate=validate.OneOf(("case", "csv", "trellis")))


class ImportQuery(Schema):
    """``?filename=``: the uploaded file's name (helps detection and error messages)."""

    filename = fields.String(load_default=None)


class AddRuleSetQuery(Schema):
    """``?activate=true`` makes the new version the active one."""

    activate = fields.Boolean(load_default=False)


class FrameworkSummarySchema(Schema):
    """One stored framework version."""

    id = fields.String(attribute="framework_id", required=True)
    version = fields.String(required=True)
    title_zh = fields.String(required=True)
    title_en = fields.String(required=True)
    item_count = fields.Integer(required=True)
    fingerprint = fields.String(required=True)
    builtin = fields.Boolean(required=True)


class FrameworkListSchema(Schema):
    """Every stored framework version."""

    frameworks = fields.List(fields.Nested(FrameworkSummarySchema), required=True)


class LevelSchema(Schema):
    """One level of a proficiency scale."""

    rank = fields.Integer(required=True)
    code = fields.String(required=True)
    label_zh = fields.String(required=True)
    label_en = fields.String(required=True)
    min_estimate = fields.Float(required=True)


class ItemSchema(Schema):
    """One competency item."""

    code = fields.String(required=True)
    parent_code = fields.String(allow_none=True)
    title_zh = fields.String(required=True)
    title_en = fields.String(required=True)
    uri = fields.String(required=True)


METHOD_DESCRIPTION = (
    'An estimation method, e.g. {"method": "exponential_decay", "rate": 0.65}, '
    '{"method": "weighted_recent_average", "half_life_days": 30, "window": 5}, '
    '{"method": "n_times_mastery", "n": 3, "threshold": 0.6}, {"method": "latest"}, '
    '{"method": "highest"} or {"method": "mean"} (docs/inference.md); null for none.'
)


class FrameworkDetailSchema(FrameworkSummarySchema):
    """A framework version with its items, scale, provenance and default method."""

    method = fields.Dict(
        allow_none=True,
        required=True,
        metadata={
            "description": "The framework's own default estimation method (all versions), or "
            "null: a programme's own method takes precedence, the built-in default applies "
            "when neither sets one."
        },
    )
    source = fields.String(required=True)
    notes = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    scale_id = fields.String(required=True)
    levels = fields.List(fields.Nested(LevelSchema), required=True)
    items = fields.List(fields.Nested(ItemSchema), required=True)


class FrameworkSettingsSchema(Schema):
    """An administrator's settings of a framework: its default estimation method."""

    method = fields.Dict(
        keys=fields.String(),
        allow_none=True,
        required=True,
        metadata={"description": METHOD_DESCRIPTION},
    )


class ImportedSchema(Schema):
    """The result of an import: the framework or rule set, and whether it was new."""

    id = fields.String(required=True)
    version = fields.String(required=True)
    created = fields.Boolean(required=True)


class RuleSetSummarySchema(Schema):
    """One stored rule-set version."""

    id = fields.String(attribute="ruleset_id", required=True)
    version = fields.Integer(required=True)
    title = fields.String(required=True)
    scope_kind = fields.String(required=True)
    scope_target = fields.String(allow_none=True)
    active = fields.Boolean(required=True)
    builtin = fields.Boolean(required=True)
    format = fields.String(required=True)


class RuleSetListSchema(Schema):
    """Every stored rule-set version."""

    rulesets = fields.List(fields.Nested(RuleSetSummarySchema), required=True)


class RuleSetDetailSchema(RuleSetSummarySchema):
    """A rule-set version with its text as written."""

    text = fields.String(required=True)


class ProgrammeSchema(Schema):
    """A programme."""

    id = fields.String(required=True)
    title = fields.String(required=True)
    starts_at = fields.AwareDateTime(allow_none=True)
    ends_at = fields.AwareDateTime(allow_none=True)


class ProgrammeListSchema(Schema):
    """Every programme."""

    programmes = fields.List(fields.Nested(ProgrammeSchema), required=True)


_STARTS = "First moment of the training (ISO 8601 date or date-time): before it is 'pre'."
_ENDS = "First moment after the training: from it on is 'post'."
_ROLLUP = (
    'Roll-up rule: {"rule": "mean"} (default, optional "weights"), '
    '{"rule": "all_at_least", "rank": 3} or {"rule": "points_at_least", "threshold": 9}; '
    "null for the default."
)
_COURSES = (
    "Course activity IRIs, as statements name them "
    "(https://moodle.example.edu/course/view.php?id=3). Replaces the list on update; LTI "
    "contexts are kept."
)
_FRAMEWORKS = "Framework ids the programme measures against; empty: every framework."
_RULESETS = "Rule set ids it maps with; empty: the active global rule sets (and its own)."


class ProgrammeFieldsSchema(Schema):
    """A programme's settings as an administrator sends them (every field optional)."""

    title = fields.String(metadata={"description": "The programme's name (国培计划…)."})
    starts_at = Moment(allow_none=True, metadata={"description": _STARTS})
    ends_at = Moment(allow_none=True, metadata={"description": _ENDS})
    method_config = fields.Dict(
        keys=fields.String(),
        data_key="method",
        allow_none=True,
        metadata={
            "description": METHOD_DESCRIPTION + " Takes precedence over the frameworks' own."
        },
    )
    rollup_config = fields.Dict(
        keys=fields.String(),
        data_key="rollup",
        allow_none=True,
        metadata={"description": _ROLLUP},
    )
    courses = fields.List(fields.String(), metadata={"description": _COURSES})
    frameworks = fields.List(fields.String(), metadata={"description": _FRAMEWORKS})
    rulesets = fields.List(fields.String(), metadata={"description": _RULESETS})


class ProgrammeUpdateSchema(ProgrammeFieldsSchema):
    """PATCH: the fields to change; those left out keep their value, null clears one."""


class ProgrammeReplaceSchema(ProgrammeFieldsSchema):
    """PUT: the whole programme but its id; a field left out is cleared (lists emptied)."""

    title = fields.String(required=True)
    starts_at = Moment(allow_none=True, load_default=None, metadata={"description": _STARTS})
    ends_at = Moment(allow_none=True, load_default=None, metadata={"description": _ENDS})
    method_config = fields.Dict(
        keys=fields.String(),
        data_key="method",
        allow_none=True,
        load_default=None,
        metadata={"description": METHOD_DESCRIPTION},
    )
    rollup_config = fields.Dict(
        keys=fields.String(),
        data_key="rollup",
        allow_none=True,
        load_default=None,
        metadata={"description": _ROLLUP},
    )
    courses = fields.List(fields.String(), load_default=list, metadata={"description": _COURSES})
    frameworks = fields.List(
        fields.String(), load_default=list, metadata={"description": _FRAMEWORKS}
    )
    rulesets = fields.List(fields.String(), load_default=list, metadata={"description": _RULESETS})


class ProgrammeCreateSchema(ProgrammeReplaceSchema):
    """POST: a new programme; what ``trellis programmes add`` takes."""

    id = fields.String(
        required=True,
        metadata={"description": "1–100 letters, digits, '.', '_' or '-' (js2026)."},
    )


class LtiContextSchema(Schema):
    """An LTI context (course) the programme was launched from."""

    key = fields.String(required=True, metadata={"description": "<issuer>|<context id>"})
    title = fields.String(allow_none=True)


class ProgrammeDetailSchema(ProgrammeSchema):
    """A programme with its method, roll-up, courses, frameworks and rule sets."""

    method_config = fields.Dict(
        data_key="method",
        allow_none=True,
        required=True,
        metadata={
            "description": "The programme's own method, or null (the framework's own, "
            "else the built-in default, applies)."
        },
    )
    rollup_config = fields.Dict(data_key="rollup", allow_none=True, required=True)
    courses = fields.List(fields.String(), required=True)
    lti_contexts = fields.List(fields.Nested(LtiContextSchema), required=True)
    frameworks = fields.List(fields.String(), required=True)
    rulesets = fields.List(fields.String(), required=True)
    created_at = fields.AwareDateTime(required=True)


class EstimateSchema(Schema):
    """One current estimate (value and interval on 0–1) with its level."""

    framework_id = fields.String(required=True)
    framework_title_zh = fields.String(required=True)
    framework_title_en = fields.String(required=True)
    code = fields.String(required=True)
    title_zh = fields.String(required=True)
    title_en = fields.String(required=True)
    value = fields.Float(required=True)
    interval_low = fields.Float(required=True)
    interval_high = fields.Float(required=True)
    level_rank = fields.Integer(required=True)
    level_code = fields.String(required=True)
    level_label_zh = fields.String(required=True)
    level_label_en = fields.String(required=True)
    evidence_count = fields.Integer(required=True)
    updated_at = fields.AwareDateTime(required=True)


class RollupNodeSchema(Schema):
    """A rolled-up parent competency, or the framework (code "")."""

    code = fields.String(required=True)
    value = fields.Float(allow_none=True)
    level_rank = fields.Integer(allow_none=True)
    level_code = fields.String(allow_none=True)
    met = fields.Boolean(allow_none=True)
    points = fields.Integer(allow_none=True)
    children = fields.Integer(required=True)
    assessed_children = fields.Integer(required=True)


class RollupSchema(Schema):
    """Roll-up of one framework version."""

    framework_id = fields.String(required=True)
    framework_version = fields.String(required=True)
    framework = fields.Nested(RollupNodeSchema, required=True)
    nodes = fields.List(fields.Nested(RollupNodeSchema), required=True)


class TeacherEstimatesSchema(Schema):
    """A teacher's current estimates and their roll-up."""

    person_id = fields.String(required=True)
    estimates = fields.List(fields.Nested(EstimateSchema), required=True)
    rollups = fields.List(fields.Nested(RollupSchema), required=True)


class TrajectoryPointSchema(Schema):
    """The estimate right after one piece of evidence."""

    at = fields.AwareDateTime(required=True)
    value = fields.Float(required=True)
    interval_low = fields.Float(required=True)
    interval_high = fields.Float(required=True)
    level_rank = fields.Integer(required=True)
    evidence_count = fields.Integer(required=True)
    statement_id = fields.String(required=True)


class TrajectorySchema(Schema):
    """One teacher's trajectory of one competency."""

    person_id = fields.String(required=True)
    framework_id = fields.String(required=True)
    code = fields.String(required=True)
    scope = fields.String(required=True)
    points = fields.List(fields.Nested(TrajectoryPointSchema), required=True)


class EvidenceSchema(Schema):
    """One piece of evidence with its provenance."""

    scope = fields.String(required=True)
    framework_id = fields.String(required=True)
    code = fields.String(required=True)
    value = fields.Float(required=True)
    weight = fields.Float(required=True)
    kind = fields.String(required=True)
    observed_at = fields.AwareDateTime(required=True)
    statement_id = fields.String(required=True)
    ruleset_id = fields.String(allow_none=True)
    ruleset_version = fields.Integer(allow_none=True)
    rule_id = fields.String(allow_none=True)
    activity_name = fields.String(allow_none=True)


class EvidenceListSchema(Schema):
    """A teacher's evidence, newest first."""

    person_id = fields.String(required=True)
    evidence = fields.List(fields.Nested(EvidenceSchema), required=True)


class AdjustmentSchema(Schema):
    """A cap applied after the linear combination (never positive)."""

    reason = fields.String(required=True)
    amount = fields.Float(required=True)


class ContributionSchema(Schema):
    """One piece of evidence behind an estimate: its share and contribution."""

    observed_at = fields.AwareDateTime(required=True)
    kind = fields.String(required=True)
    value = fields.Float(required=True)
    effective_weight = fields.Float(required=True)
    share = fields.Float(required=True)
    contribution = fields.Float(required=True)
    counted = fields.Boolean(required=True)
    participation = fields.Boolean(required=True)
    statement_id = fields.String(required=True)
    ruleset_id = fields.String(allow_none=True)
    ruleset_version = fields.Integer(allow_none=True)
    rule_id = fields.String(allow_none=True)
    activity_name = fields.String(allow_none=True)


class ExplanationSchema(Schema):
    """Why an estimate is what it is: Σ contributions + Σ adjustments = value."""

    person_id = fields.String(required=True)
    framework_id = fields.String(required=True)
    code = fields.String(required=True)
    scope = fields.String(required=True)
    method = fields.String(required=True)
    value = fields.Float(required=True)
    level_rank = fields.Integer(required=True)
    level_code = fields.String(required=True)
    interval_low = fields.Float(required=True)
    interval_high = fields.Float(required=True)
    evidence_count = fields.Integer(required=True)
    linear_value = fields.Float(required=True)
    adjustments = fields.List(fields.Nested(AdjustmentSchema), required=True)
    items = fields.List(fields.Nested(ContributionSchema), required=True)


class CellSchema(Schema):
    """One teacher × competency cell."""

    level_rank = fields.Integer(required=True)
    level_code = fields.String(required=True)
    value = fields.Float(required=True)
    evidence_count = fields.Integer(required=True)


class MatrixRowSchema(Schema):
    """One teacher's row: cells keyed by ``<framework id>#<code>``."""

    person_id = fields.String(required=True)
    display_name = fields.String(allow_none=True)
    cells = fields.Dict(keys=fields.String(), values=fields.Nested(CellSchema), required=True)


class CohortMatrixSchema(Schema):
    """A programme's teachers × competencies."""

    programme_id = fields.String(required=True)
    competencies = fields.List(fields.String(), required=True)
    rows = fields.List(fields.Nested(MatrixRowSchema), required=True)


class ErrorBodySchema(Schema):
    """The one error shape of every API error."""

    status = fields.Integer(required=True)
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields")
    request_id = fields.String()


class ErrorSchema(Schema):
    """``{"error": {...}}``."""

    error = fields.Nested(ErrorBodySchema, required=True)
