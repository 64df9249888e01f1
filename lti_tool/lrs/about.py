"""``GET /xapi/about`` (xAPI 1.0.3 Communication 2.8): the versions this LRS speaks."""

from __future__ import annotations

from flask import Response

from lti_tool.lrs.api import public_resource
from lti_tool.lrs.protocol import XapiRequest, bad_request, json_response
from xapi.versions import XapiVersion

#: Every version a client may send in X-Experience-API-Version (Communication 2.8: "1.0.x").
SUPPORTED_VERSIONS = ["1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0"]


@public_resource("about", "GET")
def about(request: XapiRequest) -> Response:
    """The About object; needs no credentials and no version header."""
    if request.params:
        name = next(iter(request.params))
        raise bad_request(name, "the about resource takes no parameters")
    request.version = XapiVersion.V1_0_3
    return json_response({"version": SUPPORTED_VERSIONS, "extensions": {}}, request)
