"""The LTI endpoints. Each view is thin: it takes :func:`lti_request`, calls one use case, and
renders or redirects; refusals are :class:`LtiError` pages.
"""

from __future__ import annotations

import logging
import secrets

from flask import Blueprint, Response, jsonify, redirect, render_template, request
from werkzeug.wrappers import Response as WerkzeugResponse

from lti_tool.lti import claims, keys, pages, services
from lti_tool.lti.admin import admin_page
from lti_tool.lti.check_in import record_check_in
from lti_tool.lti.context import lti_request
from lti_tool.lti.deep_linking import choice, deep_linking_response
from lti_tool.lti.dynamic_registration import ToolUrls, register
from lti_tool.lti.errors import LtiError, bad_launch
from lti_tool.lti.http import BoundedSession
from lti_tool.lti.i18n import problem_text, texts
from lti_tool.request_log import current_request_id

bp = Blueprint("lti", __name__, url_prefix="/lti")
logger = logging.getLogger("trellis.lti")


@bp.errorhandler(LtiError)
def _refused(error: LtiError) -> tuple[str, int]:
    logger.warning("LTI request refused (%s %s): %s", error.status, error.code, error.message)
    return (
        render_template(
            "lti/error.html",
            status=error.status,
            code=error.code,
            message=error.message,
            hint=error.hint,
            request_id=current_request_id(),
        ),
        error.status,
    )


@bp.route("/login", methods=["GET", "POST"])
def login() -> WerkzeugResponse:
    """OIDC third-party initiated login (LTI 1.3 §5.1.1; Moodle posts it)."""
    ctx = lti_request()
    target = request.values.get("target_link_uri", "")
    if target and not target.startswith(ctx.base_url + "/"):
        raise bad_launch(
            f"target_link_uri {target!r} is not on this Trellis ({ctx.base_url}).",
            code="bad_target_link_uri",
            hint="Set the tool URL in Moodle to " + ctx.url("/lti/launch") + ".",
        )
    browser = ctx.browser_id() or secrets.token_urlsafe(16)
    url = ctx.oidc_login().authorization_url(ctx.url("/lti/launch"), browser=browser)
    # Logins are where launch state is made, so they also sweep away what has expired.
    ctx.cache.purge_expired()
    ctx.session.commit()
    return ctx.remember_browser(redirect(url, code=302), browser)


@bp.post("/launch")
def launch() -> str:
    """The platform's form post of id_token and state (LTI 1.3 §5.1.1.3)."""
    ctx = lti_request()
    message = ctx.message_launch().validate()
    page = pages.land(ctx.session, message, now=ctx.now, launch_id=message.get_launch_id())
    ctx.session.commit()
    return render_template(page.template, **page.values)


@bp.post("/deep-link")
def deep_link() -> str:
    """Return the trainer's pick to the platform as a signed deep-linking response."""
    ctx = lti_request()
    message = ctx.restored_launch(request.form.get("launch_id", ""))
    facts = claims.LaunchFacts.from_claims(message.get_launch_data())
    picked = choice(request.form.get("target", ""))
    if facts.message_type != claims.DEEP_LINKING_REQUEST or facts.view is not claims.View.TRAINER:
        raise LtiError(403, "This launch cannot add links.", code="forbidden")
    if picked is None:
        raise bad_launch("Choose one of the offered pages.", code="bad_choice")
    response = deep_linking_response(
        message, picked, launch_url=ctx.url("/lti/launch"), locale=facts.locale
    )
    return render_template("lti/deep_link_return.html", response=response, t=texts(facts.locale))


@bp.post("/score")
def score() -> str:
    """Send the launching teacher's attainment to the course gradebook (AGS)."""
    ctx = lti_request()
    launch_id = request.form.get("launch_id", "")
    message = ctx.restored_launch(launch_id)
    page = pages.land(ctx.session, message, now=ctx.now, launch_id=launch_id)
    facts: claims.LaunchFacts = page.values["facts"]
    if page.template != "lti/teacher.html":
        raise LtiError(403, "Only a teacher's own launch sends a score.", code="forbidden")
    try:
        services.post_score(message, facts, score=page.values["attainment"], timestamp=ctx.now)
        page.values["score_result"] = ("ok", texts(facts.locale)["score_sent"])
    except services.ServiceUnavailable as error:
        page.values["score_result"] = ("problem", problem_text(facts.locale, str(error)))
    ctx.session.commit()
    return render_template(page.template, **page.values)


@bp.post("/check-in")
def check_in() -> str:
    """Record the launching teacher's attendance at the link's offline session."""
    ctx = lti_request()
    launch_id = request.form.get("launch_id", "")
    message = ctx.restored_launch(launch_id)
    page = pages.land(ctx.session, message, now=ctx.now, launch_id=launch_id)
    facts: claims.LaunchFacts = page.values["facts"]
    if page.template != "lti/teacher.html" or facts.target is not claims.LinkTarget.CHECK_IN:
        raise LtiError(403, "Only a teacher's check-in link records a check-in.", code="forbidden")
    page.values["checked_in"] = record_check_in(
        ctx.session, facts, base_url=ctx.base_url, now=ctx.now
    )
    return render_template(page.template, **page.values)


@bp.post("/cohort-scores")
def cohort_scores() -> str:
    """Send each teacher's attainment on the roster to the course gradebook (AGS)."""
    ctx = lti_request()
    launch_id = request.form.get("launch_id", "")
    message = ctx.restored_launch(launch_id)
    page = pages.land(ctx.session, message, now=ctx.now, launch_id=launch_id)
    pages.send_cohort_attainment(page, ctx.session, message, now=ctx.now)
    ctx.session.commit()
    return render_template(page.template, **page.values)


@bp.get("/jwks")
def jwks() -> Response:
    """The tool's public keys: active, next and recently retired (LTI Security 1.0 §6.3)."""
    ctx = lti_request()
    body = keys.published_jwks(
        ctx.session, instance_key_path=ctx.settings.lti_private_key_path, now=ctx.now
    )
    ctx.session.commit()
    response = jsonify(body)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/register")
def dynamic_registration() -> str:
    """LTI Dynamic Registration, opened by Moodle in a dialog."""
    ctx = lti_request()
    platform = register(
        ctx.session,
        BoundedSession(),
        ToolUrls(ctx.base_url),
        openid_configuration=request.args.get("openid_configuration", ""),
        registration_token=request.args.get("registration_token") or None,
        now=ctx.now,
    )
    ctx.session.commit()
    return render_template("lti/registered.html", platform=platform)


bp.add_url_rule("/admin", view_func=admin_page, methods=["GET", "POST"])
