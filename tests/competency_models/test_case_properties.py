"""Properties of the CASE mapping over generated frameworks: lossless and byte-stable."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from competency_models.case import framework_from_case_json, framework_to_case_json
from competency_models.frameworks import CompetencyItem, Framework
from competency_models.scales import DEFAULT_SCALE, DIGCOMPEDU_SCALE

text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)) | st.sampled_from("数字素养教师"),
    max_size=10,
)
optional_text = st.none() | text.filter(bool)


@st.composite
def frameworks(draw: st.DrawFn) -> Framework:
    size = draw(st.integers(min_value=0, max_value=20))
    codes = draw(
        st.lists(
            st.text(alphabet="0123456789.ABC", min_size=1, max_size=6).filter(
                lambda c: c == c.strip()
            ),
            min_size=size,
            max_size=size,
            unique=True,
        )
    )
    items = []
    for index, code in enumerate(codes):
        title_zh, title_en = draw(text), draw(text)
        if not (title_zh.strip() or title_en.strip()):
            title_en = "title"
        items.append(
            CompetencyItem(
                code=code,
                parent_code=draw(st.sampled_from([None, *codes[:index]])),
                title_zh=title_zh,
                title_en=title_en,
                description_zh=draw(text),
                description_en=draw(text),
                sequence=draw(st.integers(min_value=-5, max_value=5)),
                abbreviated_statement=draw(optional_text),
                item_type=draw(optional_text),
                language=draw(st.none() | st.sampled_from(["zh", "zh-Hans", "en"])),
            )
        )
    return Framework(
        id=draw(st.text(alphabet="abcdefgh-", min_size=1, max_size=8)),
        version=draw(text.filter(str.strip)),
        title_zh=draw(text),
        title_en="Generated",
        items=tuple(items),
        scale=draw(st.sampled_from([DEFAULT_SCALE, DIGCOMPEDU_SCALE])),
        notes=draw(st.dictionaries(st.text(max_size=5), text, max_size=3)),
        source=draw(text),
    )


@settings(max_examples=80, deadline=None)
@given(frameworks())
def test_case_round_trip_of_any_framework_is_lossless(framework: Framework) -> None:
    data = framework_to_case_json(framework)
    again = framework_from_case_json(data)
    assert again == framework
    assert again.fingerprint == framework.fingerprint
    assert framework_to_case_json(again) == data


@settings(max_examples=30, deadline=None)
@given(frameworks())
def test_case_export_is_valid_json_with_sorted_keys(framework: Framework) -> None:
    data = framework_to_case_json(framework)
    reparsed = json.loads(data)
    assert json.dumps(reparsed, ensure_ascii=False, sort_keys=True, indent=1) + "\n" == (
        data.decode()
    )
