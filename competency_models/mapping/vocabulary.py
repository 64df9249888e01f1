"""The xAPI IRIs the mapping core relies on, as named constants.

The core must not import ``xapi/`` (dependencies point one way), so the few IRIs that matching and
direct alignment need live here. Rule sets name IRIs in their own data; these constants are for
code that classifies statements without a rule (direct alignment) and for tests.

Sources: ADL xAPI vocabulary (http://adlnet.gov/expapi/verbs/), the cmi5 specification (verbs,
category and extensions), the Tin Can registry (``viewed``), and Moodle's logstore_xapi 5.0.1
transformer (the ``tla`` scored verb, the Learning Locker info extension, the acrossx
face-to-face activity type).
"""

from __future__ import annotations

from typing import Final

# --- Verbs ---------------------------------------------------------------------------------------

ADL_VERB_BASE: Final = "http://adlnet.gov/expapi/verbs/"
VERB_ATTENDED: Final = ADL_VERB_BASE + "attended"
VERB_COMPLETED: Final = ADL_VERB_BASE + "completed"
VERB_EXPERIENCED: Final = ADL_VERB_BASE + "experienced"
VERB_FAILED: Final = ADL_VERB_BASE + "failed"
VERB_INITIALIZED: Final = ADL_VERB_BASE + "initialized"
VERB_LAUNCHED: Final = ADL_VERB_BASE + "launched"
VERB_MASTERED: Final = ADL_VERB_BASE + "mastered"
VERB_PASSED: Final = ADL_VERB_BASE + "passed"
VERB_SCORED: Final = ADL_VERB_BASE + "scored"
VERB_VOIDED: Final = ADL_VERB_BASE + "voided"
"""xAPI 1.0.3 §2.3.2: a voiding statement only cancels another; it is never evidence itself."""

VERB_VIEWED_TINCAN: Final = "http://id.tincanapi.com/verb/viewed"
"""What Moodle sends for every ``*_viewed`` event."""
VERB_SCORED_TLA: Final = "https://w3id.org/xapi/tla/verbs/scored"
"""What Moodle sends when a teacher grades an assignment or a quiz question."""
VERB_WAIVED_CMI5: Final = "https://w3id.org/xapi/adl/verbs/waived"
"""cmi5: the LMS waived an AU's requirement; the teacher demonstrated nothing."""

# --- Activity types ------------------------------------------------------------------------------

TYPE_ATTEMPT: Final = "http://adlnet.gov/expapi/activities/attempt"
TYPE_ASSESSMENT: Final = "http://adlnet.gov/expapi/activities/assessment"
TYPE_COURSE_CMI5: Final = "https://w3id.org/xapi/cmi5/activitytype/course"
TYPE_FACE_TO_FACE: Final = "https://w3id.org/xapi/acrossx/activities/face-to-face-discussion"
TYPE_LMS: Final = "http://id.tincanapi.com/activitytype/lms"
TYPE_SUBMISSION_EDLM: Final = (
    "https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/submission"
)

# --- cmi5 ----------------------------------------------------------------------------------------

CATEGORY_CMI5: Final = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
"""cmi5 §9.6.2.1: every cmi5-defined statement carries this category activity."""
CATEGORY_CMI5_MOVEON: Final = "https://w3id.org/xapi/cmi5/context/categories/moveon"
EXTENSION_CMI5_SESSION: Final = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"

# --- Moodle --------------------------------------------------------------------------------------

PLATFORM_MOODLE: Final = "Moodle"
EXTENSION_MOODLE_INFO: Final = "http://lrs.learninglocker.net/define/extensions/info"
"""Carries ``event_name`` (e.g. ``\\mod_quiz\\event\\attempt_submitted``) on every statement."""

# --- Trellis offline capture ---------------------------------------------------------------------
# Offline capture (lesson observations, artefacts, self-assessments) has no published vocabulary
# that says "a trainer scored this teacher's lesson with a rubric", so Trellis defines its own
# activity types and extensions under one base. The verb stays ADL ``scored``: the result carries
# a rubric score, and the activity type (not the verb) says what was scored. docs/rules.md
# documents the statement shapes.

TRELLIS_VOCAB_BASE: Final = "https://w3id.org/xapi/trellis/"
TYPE_LESSON_OBSERVATION: Final = TRELLIS_VOCAB_BASE + "activity-types/lesson-observation"
"""听课评课: a trainer observed one lesson and scored it with a rubric."""
TYPE_TEACHING_ARTEFACT: Final = TRELLIS_VOCAB_BASE + "activity-types/teaching-artefact"
"""An assessed artefact: a lesson plan (教案), a recorded lesson, a research report."""
TYPE_SELF_ASSESSMENT: Final = TRELLIS_VOCAB_BASE + "activity-types/self-assessment"
"""The teacher rated themselves (自评)."""
CATEGORY_TRELLIS_OFFLINE: Final = TRELLIS_VOCAB_BASE + "categories/offline-capture"
"""Category activity every offline-captured statement carries, so rules can scope to it."""
EXTENSION_RUBRIC: Final = TRELLIS_VOCAB_BASE + "extensions/rubric"
"""Result extension: the rubric id and per-criterion levels behind the overall score."""

# --- Groupings used by direct alignment ----------------------------------------------------------

PARTICIPATION_VERBS: Final = frozenset(
    {
        VERB_VIEWED_TINCAN,
        VERB_ATTENDED,
        VERB_LAUNCHED,
        VERB_INITIALIZED,
        VERB_EXPERIENCED,
    }
)
"""Presence, not performance: evidence value 1.0, and inference caps its influence."""

PERFORMANCE_VERBS: Final = frozenset(
    {VERB_SCORED, VERB_SCORED_TLA, VERB_PASSED, VERB_FAILED, VERB_MASTERED}
)
"""Verbs whose result says how well the teacher did."""
