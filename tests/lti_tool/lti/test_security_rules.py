"""The claim rules on arbitrary JSON: a refusal is always an LtiError, never a crash."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from lti_tool.lti import claims, security
from lti_tool.lti.claims import LaunchFacts
from lti_tool.lti.errors import LtiError

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
KEYS = st.sampled_from(
    [
        "iss", "aud", "azp", "sub", "iat", "exp", "nonce", "name", "given_name", "family_name",
        claims.VERSION, claims.MESSAGE_TYPE, claims.DEPLOYMENT_ID, claims.ROLES, claims.CONTEXT,
        claims.CUSTOM, claims.RESOURCE_LINK, claims.LAUNCH_PRESENTATION,
        claims.DEEP_LINKING_SETTINGS,
    ]
)  # fmt: skip
VALID: dict[str, Any] = {
    "iss": "https://moodle.example",
    "aud": "client",
    "sub": "3",
    "iat": 1_800_000_000,
    "exp": 1_800_000_060,
    claims.VERSION: "1.3.0",
    claims.MESSAGE_TYPE: claims.RESOURCE_LINK_REQUEST,
    claims.DEPLOYMENT_ID: "1",
    claims.ROLES: [],
    claims.RESOURCE_LINK: {"id": "7"},
}


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, JSON, max_size=6))
def test_mutated_claims_are_accepted_or_refused_with_an_lti_error(changes: dict[str, Any]) -> None:
    body = VALID | changes
    try:
        security.check_message(body)
        security.check_azp(body, "client")
        security.check_times(body, now=1_800_000_010)
    except LtiError as error:
        assert 400 <= error.status < 500
        return
    facts = LaunchFacts.from_claims(body | {"iss": "https://moodle.example"})
    assert facts.subject == body["sub"]
