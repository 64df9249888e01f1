"""Named IRIs: verbs, activity types and extensions Trellis reads or writes.

Code elsewhere refers to these constants, never to inline IRI strings.
Sources: ADL vocabulary (http://adlnet.gov/expapi/verbs/), cmi5 (AICC/ADL, section 9),
xAPI-vle/moodle-logstore_xapi 5.0.1 (the verbs and activity types its fixtures emit), the
acrossx and TLA profiles.
"""

from __future__ import annotations

from typing import Final

# --- ADL verbs (http://adlnet.gov/expapi/verbs/) ---------------------------------------------
_ADL_VERBS: Final = "http://adlnet.gov/expapi/verbs/"
VERB_ANSWERED: Final = _ADL_VERBS + "answered"
VERB_ASKED: Final = _ADL_VERBS + "asked"
VERB_ATTEMPTED: Final = _ADL_VERBS + "attempted"
VERB_ATTENDED: Final = _ADL_VERBS + "attended"
VERB_COMMENTED: Final = _ADL_VERBS + "commented"
VERB_COMPLETED: Final = _ADL_VERBS + "completed"
VERB_EXITED: Final = _ADL_VERBS + "exited"
VERB_EXPERIENCED: Final = _ADL_VERBS + "experienced"
VERB_FAILED: Final = _ADL_VERBS + "failed"
VERB_IMPORTED: Final = _ADL_VERBS + "imported"
VERB_INITIALIZED: Final = _ADL_VERBS + "initialized"
VERB_INTERACTED: Final = _ADL_VERBS + "interacted"
VERB_LAUNCHED: Final = _ADL_VERBS + "launched"
VERB_MASTERED: Final = _ADL_VERBS + "mastered"
VERB_PASSED: Final = _ADL_VERBS + "passed"
VERB_PREFERRED: Final = _ADL_VERBS + "preferred"
VERB_PROGRESSED: Final = _ADL_VERBS + "progressed"
VERB_REGISTERED: Final = _ADL_VERBS + "registered"
VERB_RESPONDED: Final = _ADL_VERBS + "responded"
VERB_RESUMED: Final = _ADL_VERBS + "resumed"
VERB_SCORED: Final = _ADL_VERBS + "scored"
VERB_SHARED: Final = _ADL_VERBS + "shared"
VERB_SUSPENDED: Final = _ADL_VERBS + "suspended"
VERB_TERMINATED: Final = _ADL_VERBS + "terminated"
VERB_VOIDED: Final = _ADL_VERBS + "voided"

# --- cmi5 "defined" verbs from the ADL w3id namespace (cmi5 9.3) -------------------------------
_ADL_W3ID_VERBS: Final = "https://w3id.org/xapi/adl/verbs/"
VERB_ABANDONED: Final = _ADL_W3ID_VERBS + "abandoned"
VERB_WAIVED: Final = _ADL_W3ID_VERBS + "waived"
VERB_SATISFIED: Final = _ADL_W3ID_VERBS + "satisfied"

#: The nine cmi5 defined verbs (cmi5 9.3).
CMI5_DEFINED_VERBS: Final = frozenset(
    {
        VERB_LAUNCHED,
        VERB_INITIALIZED,
        VERB_COMPLETED,
        VERB_PASSED,
        VERB_FAILED,
        VERB_ABANDONED,
        VERB_WAIVED,
        VERB_TERMINATED,
        VERB_SATISFIED,
    }
)
#: cmi5 9.5.4.1: these verbs MUST carry result.duration.
CMI5_VERBS_REQUIRING_DURATION: Final = frozenset(
    {VERB_COMPLETED, VERB_PASSED, VERB_FAILED, VERB_TERMINATED, VERB_ABANDONED}
)

# --- Activity Streams, Tin Can registry and profile verbs Moodle's log store emits ---------------
VERB_AS_CREATE: Final = "http://activitystrea.ms/create"
VERB_AS_DELETE: Final = "http://activitystrea.ms/delete"
VERB_AS_JOIN: Final = "http://activitystrea.ms/join"
VERB_AS_LEAVE: Final = "http://activitystrea.ms/leave"
VERB_AS_SEND: Final = "http://activitystrea.ms/send"
VERB_AS_SUBMIT: Final = "http://activitystrea.ms/submit"
VERB_AS_UPDATE: Final = "http://activitystrea.ms/update"
VERB_AS_SCHEMA_SUBMIT: Final = "http://activitystrea.ms/schema/1.0/submit"
VERB_AS_SCHEMA_CREATE: Final = "http://activitystrea.ms/schema/1.0/create"
VERB_TINCAN_VIEWED: Final = "http://id.tincanapi.com/verb/viewed"
VERB_TINCAN_REPLIED: Final = "http://id.tincanapi.com/verb/replied"
VERB_TINCAN_UNREGISTERED: Final = "http://id.tincanapi.com/verb/unregistered"
VERB_ACROSSX_EDITED: Final = "https://w3id.org/xapi/acrossx/verbs/edited"
VERB_ACROSSX_SEARCHED: Final = "https://w3id.org/xapi/acrossx/verbs/searched"
VERB_TLA_ACHIEVED: Final = "https://w3id.org/xapi/tla/verbs/achieved"
VERB_TLA_FORFEITED: Final = "https://w3id.org/xapi/tla/verbs/forfeited"
VERB_TLA_RESUMED: Final = "https://w3id.org/xapi/tla/verbs/resumed"
VERB_TLA_SCORED: Final = "https://w3id.org/xapi/tla/verbs/scored"
VERB_TLA_SUSPENDED: Final = "https://w3id.org/xapi/tla/verbs/suspended"
VERB_TLA_VERIFIED: Final = "https://w3id.org/xapi/tla/verbs/verified"
VERB_DOD_ISD_ASSESSED: Final = "https://w3id.org/xapi/dod-isd/verbs/assessed"
VERB_DOD_ISD_DELETED: Final = "https://w3id.org/xapi/dod-isd/verbs/deleted"
VERB_DOD_ISD_PUBLISHED: Final = "https://w3id.org/xapi/dod-isd/verbs/published"
_EDLM_VERBS: Final = "https://xapi.edlm/profiles/edlm-lms/concepts/verbs/"
VERB_EDLM_ENROLLED: Final = _EDLM_VERBS + "enrolled"
VERB_EDLM_LOGIN: Final = _EDLM_VERBS + "login"
VERB_EDLM_LOGOUT: Final = _EDLM_VERBS + "logout"
VERB_EDLM_SUBSCRIBED: Final = _EDLM_VERBS + "subscribed"
VERB_EDLM_UNCOMPLETED: Final = _EDLM_VERBS + "uncompleted"

# --- Activity types ------------------------------------------------------------------------------
_ADL_ACTIVITIES: Final = "http://adlnet.gov/expapi/activities/"
ACTIVITY_TYPE_ASSESSMENT: Final = _ADL_ACTIVITIES + "assessment"
ACTIVITY_TYPE_ATTEMPT: Final = _ADL_ACTIVITIES + "attempt"
ACTIVITY_TYPE_CMI_INTERACTION: Final = _ADL_ACTIVITIES + "cmi.interaction"
ACTIVITY_TYPE_COURSE_ADL: Final = _ADL_ACTIVITIES + "course"
ACTIVITY_TYPE_LESSON: Final = _ADL_ACTIVITIES + "lesson"
ACTIVITY_TYPE_MEETING: Final = _ADL_ACTIVITIES + "meeting"
ACTIVITY_TYPE_MODULE: Final = _ADL_ACTIVITIES + "module"
ACTIVITY_TYPE_LINK: Final = _ADL_ACTIVITIES + "link"
ACTIVITY_TYPE_FILE: Final = _ADL_ACTIVITIES + "file"
ACTIVITY_TYPE_MEDIA: Final = _ADL_ACTIVITIES + "media"
#: cmi5 9.4: the course (and, in Moodle's log store, every Moodle course) activity type.
ACTIVITY_TYPE_CMI5_COURSE: Final = "https://w3id.org/xapi/cmi5/activitytype/course"
ACTIVITY_TYPE_CMI5_BLOCK: Final = "https://w3id.org/xapi/cmi5/activitytype/block"
_TINCAN_TYPES: Final = "http://id.tincanapi.com/activitytype/"
#: Moodle's log store puts the site in contextActivities.category with this type.
ACTIVITY_TYPE_LMS: Final = _TINCAN_TYPES + "lms"
ACTIVITY_TYPE_SECTION: Final = _TINCAN_TYPES + "section"
ACTIVITY_TYPE_DISCUSSION: Final = _TINCAN_TYPES + "discussion"
ACTIVITY_TYPE_SURVEY: Final = _TINCAN_TYPES + "survey"
ACTIVITY_TYPE_BOOK: Final = _TINCAN_TYPES + "book"
ACTIVITY_TYPE_CHAPTER: Final = _TINCAN_TYPES + "chapter"
ACTIVITY_TYPE_RESOURCE: Final = _TINCAN_TYPES + "resource"
ACTIVITY_TYPE_FORUM_REPLY: Final = _TINCAN_TYPES + "forum-reply"
#: acrossx: offline (face-to-face) sessions, the object of ``attended`` in Moodle's facetoface.
ACTIVITY_TYPE_FACE_TO_FACE_DISCUSSION: Final = (
    "https://w3id.org/xapi/acrossx/activities/face-to-face-discussion"
)
ACTIVITY_TYPE_WEBPAGE: Final = "https://w3id.org/xapi/acrossx/activities/webpage"
_EDLM_TYPES: Final = "https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/"
ACTIVITY_TYPE_EDLM_ASSIGNMENT: Final = _EDLM_TYPES + "assignment"
ACTIVITY_TYPE_EDLM_SUBMISSION: Final = _EDLM_TYPES + "submission"
ACTIVITY_TYPE_EDLM_FEEDBACK: Final = _EDLM_TYPES + "feedback"
ACTIVITY_TYPE_EDLM_FORUM: Final = _EDLM_TYPES + "forum"
ACTIVITY_TYPE_EDLM_BADGE: Final = _EDLM_TYPES + "badge"
ACTIVITY_TYPE_EDLM_CERTIFICATE: Final = _EDLM_TYPES + "certificate"

# --- Extensions ---------------------------------------------------------------------------
#: cmi5 9.6.3.1: context extension carrying the launch session id.
EXTENSION_CMI5_SESSION_ID: Final = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
EXTENSION_CMI5_MASTERY_SCORE: Final = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore"
EXTENSION_CMI5_LAUNCH_MODE: Final = "https://w3id.org/xapi/cmi5/context/extensions/launchmode"
#: cmi5 9.6.2: contextActivities.category entry marking a statement as cmi5-defined.
CATEGORY_CMI5: Final = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
CATEGORY_CMI5_MOVEON: Final = "https://w3id.org/xapi/cmi5/context/categories/moveon"
#: Moodle's log store: event name, Moodle and plugin versions on every statement.
EXTENSION_LEARNINGLOCKER_INFO: Final = "http://lrs.learninglocker.net/define/extensions/info"
EXTENSION_MOODLE_USER_ID: Final = "https://moodle.org/xapi/extensions/user_id"
EXTENSION_MOODLE_COURSE_ID: Final = "https://moodle.org/xapi/extensions/course_id"

# --- Fixed IRIs of the xAPI specification itself ------------------------------------------------
#: xAPI 1.0.3 Data 2.4.11: usageType of a JWS signature attachment.
ATTACHMENT_USAGE_SIGNATURE: Final = "http://adlnet.gov/expapi/attachments/signature"
