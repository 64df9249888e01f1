"""Page words in Chinese (the default) and English (when Moodle's locale is English)."""

from __future__ import annotations

_TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "app": "Trellis 教师成长轨迹",
        "back": "返回课程",
        "signed_in_as": "当前用户",
        "my_growth": "我的成长",
        "estimates": "当前能力估计",
        "framework": "框架",
        "competency": "能力",
        "estimate": "估计值",
        "interval": "区间",
        "level": "水平",
        "evidence_count": "证据数",
        "updated": "更新时间",
        "recent_evidence": "最近的证据",
        "observed": "时间",
        "activity": "活动",
        "kind": "类型",
        "value": "得分",
        "no_estimates": "还没有能力估计：完成课程中的活动后，这里会显示你的成长。",
        "no_evidence": "还没有证据。",
        "cohort": "班级概览",
        "teacher": "教师",
        "last_activity": "最近活动",
        "statement_count": "学习记录数",
        "never": "从未",
        "roster_unavailable": "无法读取课程名单",
        "nrps_disabled": "课程名单服务未开启：请管理员在 Moodle 的外部工具设置中开启"
        "“IMS LTI Names and Role Provisioning”。下表只列出已打开过 Trellis 的教师。",
        "nrps_failed": "读取课程名单失败，请稍后重试或联系管理员。",
        "pick_title": "选择此链接打开的页面",
        "pick_submit": "添加到课程",
        "send_score": "把成绩提交到课程成绩册",
        "send_cohort_scores": "把每位教师的能力达成度提交到课程成绩册",
        "score_sent": "成绩已提交",
        "score_failed": "成绩提交失败",
        "ags_disabled": "成绩服务未开启：请管理员在 Moodle 中开启"
        "“IMS LTI Assignment and Grade Services”。",
        "ags_no_score_scope": "平台未授权 Trellis 提交成绩。",
        "ags_no_lineitem_scope": "平台未授权 Trellis 创建成绩项。",
        "ags_failed": "平台拒绝了成绩提交，请稍后重试或联系管理员。",
        "attainment": "能力达成度",
        "pre_assessment": "前测",
        "post_assessment": "后测",
        "check_in": "线下研修签到",
        "check_in_note": "在线下研修现场按“签到”，记录你参加了本次研修。",
        "check_in_button": "签到",
        "checked_in": "已签到",
        "trainer_note": "以下为课程中的教师，含尚未打开 Trellis 或尚无证据的教师。",
        "people": "人",
    },
    "en": {
        "app": "Trellis teacher growth",
        "back": "Back to course",
        "signed_in_as": "Signed in as",
        "my_growth": "My growth",
        "estimates": "Current competency estimates",
        "framework": "Framework",
        "competency": "Competency",
        "estimate": "Estimate",
        "interval": "Interval",
        "level": "Level",
        "evidence_count": "Evidence",
        "updated": "Updated",
        "recent_evidence": "Recent evidence",
        "observed": "When",
        "activity": "Activity",
        "kind": "Kind",
        "value": "Score",
        "no_estimates": "No estimates yet: your growth appears here once you take part in the "
        "course's activities.",
        "no_evidence": "No evidence yet.",
        "cohort": "Cohort dashboard",
        "teacher": "Teacher",
        "last_activity": "Last activity",
        "statement_count": "Statements",
        "never": "never",
        "roster_unavailable": "The course roster could not be read",
        "nrps_disabled": "The roster service is off: ask an administrator to enable "
        "'IMS LTI Names and Role Provisioning' in Moodle's external tool settings. The table "
        "lists only teachers who have opened Trellis.",
        "nrps_failed": "Reading the course roster failed; try again later or ask an administrator.",
        "pick_title": "Choose what this link opens",
        "pick_submit": "Add to course",
        "send_score": "Send my score to the course gradebook",
        "send_cohort_scores": "Send each teacher's attainment to the course gradebook",
        "score_sent": "Score sent",
        "score_failed": "The score could not be sent",
        "ags_disabled": "The grade service is off: ask an administrator to enable "
        "'IMS LTI Assignment and Grade Services' in Moodle.",
        "ags_no_score_scope": "The platform does not let Trellis send scores.",
        "ags_no_lineitem_scope": "The platform does not let Trellis create grade items.",
        "ags_failed": "The platform refused the score; try again later or ask an administrator.",
        "attainment": "Attainment",
        "pre_assessment": "Pre-assessment",
        "post_assessment": "Post-assessment",
        "check_in": "Offline session check-in",
        "check_in_note": "At the session, press Check in to record that you attended.",
        "check_in_button": "Check in",
        "checked_in": "Checked in",
        "trainer_note": "Teachers in this course, including those who have not opened Trellis "
        "or have no evidence yet.",
        "people": "people",
    },
}


def texts(locale: str) -> dict[str, str]:
    """The page words for ``locale`` (``zh`` or ``en``)."""
    return _TEXTS["en" if locale == "en" else "zh"]


def problem_text(locale: str, problem: str) -> str:
    """Words for a service problem code such as ``nrps_failed: 500 …`` (the code before ':')."""
    return texts(locale).get(problem.split(":", 1)[0], problem)
