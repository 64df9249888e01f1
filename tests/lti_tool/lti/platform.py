"""A real LTI 1.3 platform for the tests: the PyPI package ``lti1p3platform`` behind Flask.

``lti1p3platform`` (independently written, MIT) signs id_tokens, issues access tokens, and serves
AGS, NRPS and deep-linking responses; it ships Django and FastAPI adapters but none for Flask, so
this module is that adapter. It runs on 127.0.0.1 in a thread, and behaves like Moodle where it
matters (exact redirect_uri, ``form_post``, ``prompt=none``, 60-second id_tokens, lower-cased
custom parameter names).
"""

from __future__ import annotations

import html
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, Response, jsonify, request
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request, TRequest
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import (
    AssignmentsGradesService,
    NamesRoleProvisioningService,
    TPage,
)
from werkzeug.serving import make_server

INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
SITE_ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"


def new_private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@dataclass
class LaunchSpec:
    """Who launches, from where, and which services the platform offers."""

    user_id: str = "3"
    roles: list[str] = field(default_factory=lambda: [LEARNER])
    name: str | None = "王老师"
    email: str | None = None
    context_id: str | None = "2"
    context_title: str | None = "2026 骨干教师培训"
    resource_link_id: str = "7"
    custom: dict[str, str] = field(default_factory=dict)
    deep_linking: bool = False
    accept_types: set[str] = field(default_factory=lambda: {"ltiResourceLink"})
    ags: bool = True
    coupled_lineitem: bool = False
    nrps: bool = True
    locale: str | None = "zh_cn"
    return_url: str | None = None


class _FlaskRequest(Request):
    def build_metadata(self, flask_request: Any) -> TRequest:
        return {
            "method": flask_request.method,
            "form_data": flask_request.form.to_dict(),
            "get_data": flask_request.args.to_dict(),
            "headers": dict(flask_request.headers),
            "content_type": flask_request.content_type,
            "path": flask_request.path,
            "json": flask_request.get_json(silent=True),
        }


class _Config(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: Any) -> None:
        self._registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        return self._registration


class _Launch(LTIAdvantageMessageLaunchAbstract):
    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> Response:
        fields = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(launch_data[name])}">'
            for name in ("id_token", "state")
        )
        body = (
            f'<form id="launch" method="post" action="{html.escape(launch_data["launch_url"])}">'
            f"{fields}</form><script>document.getElementById('launch').submit()</script>"
        )
        return Response(body, mimetype="text/html")


class FakePlatform:
    """One Moodle-like platform with one tool registration, and what it has received."""

    def __init__(
        self,
        tool_url: str,
        *,
        client_id: str = "trellis-client",
        deployment_id: str = "1",
        issuer: str | None = None,
    ):
        self.tool_url = tool_url
        self.issuer = issuer
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.private_key = new_private_key_pem()
        self.url = ""
        self.specs: dict[str, LaunchSpec] = {}
        self.lineitems: dict[str, dict[str, Any]] = {}
        self.scores: dict[str, list[dict[str, Any]]] = {}
        self.members: list[dict[str, Any]] = []
        self.deep_link_items: list[dict[str, Any]] = []
        self.deep_link_data: list[Any] = []
        self.jwks_fetches = 0
        self.app = self._build_app()

    # -- registration -------------------------------------------------------------------------
    @property
    def iss(self) -> str:
        """The issuer (Moodle: its wwwroot), which need not be where this fake listens."""
        return self.issuer or self.url

    def registration(self) -> Registration:
        return (
            Registration()
            .set_iss(self.iss)
            .set_client_id(self.client_id)
            .set_deployment_id(self.deployment_id)
            .set_oidc_login_url(self.tool_url + "/lti/login")
            .set_launch_url(self.tool_url + "/lti/launch")
            .set_deeplink_launch_url(self.tool_url + "/lti/launch")
            .set_tool_key_set_url(self.tool_url + "/lti/jwks")
            .set_platform_public_key(public_pem(self.private_key))
            .set_platform_private_key(self.private_key)
        )

    def config(self) -> _Config:
        return _Config(registration=self.registration())

    @property
    def kid(self) -> str:
        kid = self.registration().get_kid()
        assert kid
        return kid

    def rotate_key(self) -> None:
        """Sign with a new key from now on (and publish only it)."""
        self.private_key = new_private_key_pem()

    def login_params(self, spec: LaunchSpec) -> dict[str, str]:
        """What Moodle posts to the tool's login URL to start a launch."""
        hint = secrets.token_hex(8)
        self.specs[hint] = spec
        return {
            "iss": self.iss,
            "target_link_uri": self.tool_url + "/lti/launch",
            "login_hint": spec.user_id,
            "lti_message_hint": hint,
            "client_id": self.client_id,
            "lti_deployment_id": self.deployment_id,
        }

    def sign(self, claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
        """Sign any claims with the platform key, as a forger with that key would."""
        header = {"kid": self.kid} if headers is None else headers
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers=header)

    # -- HTTP -----------------------------------------------------------------------------------
    def _build_app(self) -> Flask:
        app = Flask("fake_platform")
        platform = self

        @app.get("/mod/lti/certs.php")
        def certs() -> Response:
            platform.jwks_fetches += 1
            return jsonify({"keys": platform.registration().get_jwks()})

        @app.get("/mod/lti/auth.php")
        def auth() -> Response:
            return platform._authorize()

        @app.post("/mod/lti/token.php")
        def token() -> Response:
            try:
                return jsonify(platform.config().get_access_token(request.form.to_dict()))
            except Exception as error:  # the platform answers 400 to a bad assertion
                return jsonify({"error": "invalid_client", "error_description": str(error)}), 400  # type: ignore[return-value]

        @app.route("/mod/lti/services.php/2/lineitems", methods=["GET", "POST"])
        def lineitems() -> Response:
            service = platform._ags()
            if request.method == "POST":
                return _wrap(service.handle_create_lineitem())
            return _wrap(service.handle_get_lineitems())

        @app.post("/mod/lti/services.php/2/lineitems/<item_id>/lineitem/scores")
        def scores(item_id: str) -> Response:
            return _wrap(platform._ags().handle_update_score(item_id))

        @app.get("/mod/lti/services.php/CourseSection/2/bindings/1/memberships")
        def memberships() -> Response:
            return _wrap(platform._nrps().handle_get_members())

        @app.post("/mod/lti/contentitem_return.php")
        def deep_link_return() -> Response:
            items = platform.config().validate_deeplinking_resp({"JWT": request.form["JWT"]})
            body = jwt.decode(request.form["JWT"], options={"verify_signature": False})
            platform.deep_link_items.extend(items)
            platform.deep_link_data.append(
                body.get("https://purl.imsglobal.org/spec/lti-dl/claim/data")
            )
            return Response("saved", mimetype="text/plain")

        return app

    def _authorize(self) -> Response:
        args = request.args
        # What Moodle's auth.php insists on.
        problems = []
        if args.get("redirect_uri") != self.tool_url + "/lti/launch":
            problems.append("redirect_uri")
        if args.get("response_mode") != "form_post" or args.get("prompt") != "none":
            problems.append("response_mode/prompt")
        if args.get("scope") != "openid" or args.get("response_type") != "id_token":
            problems.append("scope/response_type")
        spec = self.specs.get(args.get("lti_message_hint", ""))
        if problems or spec is None or args.get("login_hint") != spec.user_id:
            return Response("invalid_request: " + ", ".join(problems), status=400)
        launch = _Launch(_FlaskRequest(request), self.config())
        launch.set_id_token_expiration(60)
        launch.set_user_data(
            spec.user_id, spec.roles, full_name=spec.name, email_address=spec.email
        )
        if spec.context_id:
            launch.set_launch_context_claim(
                spec.context_id, context_types=["CourseSection"], context_title=spec.context_title
            )
        if spec.custom:
            launch.set_custom_parameters_claim({k.lower(): v for k, v in spec.custom.items()})
        presentation: dict[str, Any] = {"document_target": "iframe"}
        if spec.locale:
            presentation["locale"] = spec.locale
        if spec.return_url:
            presentation["return_url"] = spec.return_url
        launch.set_extra_claims(
            {"https://purl.imsglobal.org/spec/lti/claim/launch_presentation": presentation}
        )
        services = self.url + "/mod/lti/services.php"
        if spec.ags:
            coupled = None
            if spec.coupled_lineitem:
                coupled = self._create_lineitem({"label": "coupled", "scoreMaximum": 100})["id"]
            launch.set_ags(services + "/2/lineitems", lineitem_url=coupled)
        if spec.nrps:
            launch.set_nrps(services + "/CourseSection/2/bindings/1/memberships")
        if spec.deep_linking:
            launch.set_dl(
                self.url + "/mod/lti/contentitem_return.php",
                accept_types=spec.accept_types,
                extra_data={"moodle": "echo-me"},
            )
        else:
            launch.set_resource_link_claim(spec.resource_link_id)
        response: Response = launch.lti_launch()
        return response

    def _ags(self) -> _Ags:
        return _Ags(
            _FlaskRequest(request),
            self.config(),
            self.url + "/mod/lti/services.php/2/lineitems",
            platform=self,
        )

    def _nrps(self) -> _Nrps:
        return _Nrps(
            _FlaskRequest(request),
            self.config(),
            self.url + "/mod/lti/services.php/CourseSection/2/bindings/1/memberships",
            platform=self,
        )

    def _create_lineitem(self, data: dict[str, Any]) -> dict[str, Any]:
        item_id = str(len(self.lineitems) + 1)
        item = {**data, "id": f"{self.url}/mod/lti/services.php/2/lineitems/{item_id}/lineitem"}
        self.lineitems[item_id] = item
        return item

    @contextmanager
    def serving(self) -> Iterator[FakePlatform]:
        """Serve on 127.0.0.1 in a thread."""
        server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{server.server_port}"
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()


class _Ags(AssignmentsGradesService):
    def __init__(self, *args: Any, platform: FakePlatform) -> None:
        super().__init__(*args)
        self.platform = platform

    def find_lineitems(self, page: int = 1, limit: int | None = None, **filters: Any) -> TPage:
        return {"content": list(self.platform.lineitems.values()), "has_next": False}

    def find_lineitem(self, line_item_id: str) -> Any:
        return self.platform.lineitems[line_item_id]

    def create_lineitem(self, creation_data: Any) -> Any:
        return self.platform._create_lineitem(dict(creation_data))

    def update_lineitem(self, update_data: Any) -> Any:
        raise NotImplementedError

    def delete_lineitem(self, line_item_id: str) -> None:
        raise NotImplementedError

    def update_score(self, line_item_id: str, score: Any) -> UpdateScoreStatus:
        if line_item_id not in self.platform.lineitems:
            from lti1p3platform.exceptions import LineItemNotFoundException

            raise LineItemNotFoundException
        self.platform.scores.setdefault(line_item_id, []).append(dict(score))
        return UpdateScoreStatus.SUCCESS

    def get_results(
        self, line_item_id: str, page: int = 1, limit: int | None = None, user_id: str | None = None
    ) -> TPage:
        return {"content": [], "has_next": False}


class _Nrps(NamesRoleProvisioningService):
    def __init__(self, *args: Any, platform: FakePlatform) -> None:
        super().__init__(*args)
        self.platform = platform

    def get_member_data_page(
        self, page: int = 1, limit: int | None = None, **filters: Any
    ) -> TPage:
        return {"content": [dict(m) for m in self.platform.members], "has_next": False}

    def get_context_by_id(self) -> Context:
        return Context(id="2", label="T2026", title="2026 骨干教师培训")


def _wrap(resp: Any) -> Response:
    if 200 <= resp.code < 300:
        data = (
            resp.result.get("content", resp.result)
            if isinstance(resp.result, dict)
            else resp.result
        )
        if data is None:
            return Response(status=resp.code)
        response = jsonify(data)
        response.status_code = resp.code
        response.mimetype = resp.media_type
        return response
    response = jsonify({"error": resp.message})
    response.status_code = resp.code
    return response
