"""Frameworks as CSV: what trainers' spreadsheets look like, and errors by row and column."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from competency_models.builtin import load_builtin
from competency_models.csv_format import CSV_COLUMNS, framework_from_csv, framework_to_csv
from competency_models.frameworks import CompetencyItem, Framework, FrameworkImportError
from competency_models.scales import DIGCOMPEDU_SCALE

HEADER = ",".join(CSV_COLUMNS)
SHEET = (
    f"{HEADER}\r\n"
    "1,,数字化意识,Digital awareness,对数字化的认识,Understanding\r\n"
    '1.1,1,数字化认识,"Digital cognition, in short",,\r\n'
    '1.2,1,"数字化意愿\n（第二行）",Willingness,,\r\n'
    "2,,数字技术知识与技能,Knowledge and skills,,\r\n"
)


def metadata_of(framework: Framework) -> dict[str, object]:
    return {
        "framework_id": framework.id,
        "version": framework.version,
        "title_zh": framework.title_zh,
        "title_en": framework.title_en,
        "scale": framework.scale,
        "source": framework.source,
        "notes": framework.notes,
    }


@pytest.mark.parametrize("framework", load_builtin(), ids=lambda fw: fw.id)
def test_csv_round_trip_of_builtin_keeps_every_item(framework: Framework) -> None:
    data = framework_to_csv(framework)
    again = framework_from_csv(data, **metadata_of(framework))  # type: ignore[arg-type]
    assert again.items == framework.items
    assert framework_to_csv(again) == data


@pytest.mark.parametrize(
    "encoded",
    [
        SHEET.encode("utf-8"),
        "\ufeff".encode() + SHEET.encode("utf-8"),
        SHEET.replace("\r\n", "\n").encode("utf-8"),
        SHEET,
        "\ufeff" + SHEET,
    ],
    ids=["utf8", "utf8-bom-as-excel-writes", "lf-line-ends", "text", "text-with-bom"],
)
def test_csv_reads_utf8_with_or_without_bom(encoded: str | bytes) -> None:
    framework = framework_from_csv(encoded, framework_id="sheet", version="1", title_zh="表")
    assert [item.code for item in framework.items] == ["1", "1.1", "1.2", "2"]
    assert framework.item("1").title_zh == "数字化意识"
    assert framework.item("1.1").title_en == "Digital cognition, in short"
    assert framework.item("1.2").title_zh == "数字化意愿\n（第二行）"


def test_csv_columns_may_come_in_any_order_and_titles_may_be_left_out() -> None:
    data = "title_zh,parent_code,code\n甲,,A\n乙,A,A.1\n"
    framework = framework_from_csv(data, framework_id="f", version="1")
    assert framework.item("A.1") == CompetencyItem("A.1", "A", "乙", "", sequence=1)


def test_csv_row_order_is_sibling_order() -> None:
    data = f"{HEADER}\nb,,乙,,,\na,,甲,,,\n"
    framework = framework_from_csv(data, framework_id="f", version="1")
    assert [item.code for item in framework.items] == ["b", "a"]


def test_csv_skips_blank_rows_spreadsheets_leave_behind() -> None:
    data = f"{HEADER}\n1,,一,,,\n,,,,,\n\n2,,二,,,\n"
    assert len(framework_from_csv(data, framework_id="f", version="1")) == 2


def test_csv_defaults_name_the_framework_after_the_file_and_version_it_by_content() -> None:
    first = framework_from_csv(SHEET, filename="C:\\培训\\Digital Literacy 2024.csv")
    second = framework_from_csv(SHEET, filename="Digital Literacy 2024.csv")
    assert first.id == "digital-literacy-2024"
    assert first.title_zh == "Digital Literacy 2024"
    assert first.version == second.version and first.version.startswith("csv-")
    changed = framework_from_csv(SHEET.replace("Willingness", "Will"), filename="x.csv")
    assert changed.version != first.version


def test_csv_uses_the_given_scale() -> None:
    framework = framework_from_csv(SHEET, framework_id="f", version="1", scale=DIGCOMPEDU_SCALE)
    assert framework.scale is DIGCOMPEDU_SCALE


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("", "row 1: header row missing"),
        ("code,title_zh\n1,一\n", "row 1: required column 'parent_code' is missing"),
        ("code,parent_code,titel_zh\n1,,一\n", "row 1, column 3: unknown column 'titel_zh'"),
        ("code,parent_code,code\n1,,1\n", "row 1, column 3: column 'code' appears twice"),
        (f"{HEADER}\n1,,一,,,\n1,,又一,,,\n", "row 3, code: '1' already used in row 2"),
        (f"{HEADER}\n1,,一,,,\n1.1,9,一之一,,,\n", "row 3, parent_code: no item has code '9'"),
        (f"{HEADER}\n,,无码,,,\n", "row 2, code: empty"),
        (f"{HEADER}\n1,,一,,,,extra\n", "row 2: 7 cells but the header has 6"),
        (f"{HEADER}\n1,,,,,\n", "row 2: 1: needs a Chinese or an English title"),
        (f"{HEADER}\n1,1,一,,,\n", "row 2, parent_code: an item cannot be its own parent"),
        (f"{HEADER}\na,b,甲,,,\nb,a,乙,,,\n", "cycle among items a, b"),
    ],
)
def test_csv_problems_name_row_and_column(data: str, expected: str) -> None:
    with pytest.raises(FrameworkImportError) as raised:
        framework_from_csv(data, framework_id="f", version="1")
    assert any(expected in problem for problem in raised.value.problems), raised.value.problems


def test_csv_in_the_chinese_windows_code_page_is_rejected_with_advice() -> None:
    with pytest.raises(FrameworkImportError, match="CSV UTF-8"):
        framework_from_csv(f"{HEADER}\n1,,数字化意识,,,\n".encode("gbk"))


def test_csv_export_starts_with_a_bom_for_excel_unless_asked_not_to() -> None:
    framework = framework_from_csv(SHEET, framework_id="f", version="1")
    assert framework_to_csv(framework).startswith("\ufeff".encode())
    plain = framework_to_csv(framework, bom=False)
    assert plain.startswith(HEADER.encode() + b"\r\n")
    rows = list(csv.reader(io.StringIO(plain.decode())))
    assert rows[3] == ["1.2", "1", "数字化意愿\n（第二行）", "Willingness", "", ""]


# --- property: any tree survives the round trip ---------------------------------------------

cell_text = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufeff"
    )
    | st.sampled_from([",", '"', "\n", "数", "字", "素", "养"]),
    max_size=12,
).map(str.strip)


@st.composite
def trees(draw: st.DrawFn) -> tuple[CompetencyItem, ...]:
    size = draw(st.integers(min_value=1, max_value=25))
    codes = [f"c{n}" for n in range(size)]
    items: list[CompetencyItem] = []
    siblings: dict[str | None, int] = {}
    for index, code in enumerate(codes):
        parent = draw(st.sampled_from([None, *codes[:index]]))
        siblings[parent] = siblings.get(parent, 0) + 1
        title_zh = draw(cell_text)
        title_en = draw(cell_text)
        if not (title_zh or title_en):
            title_zh = "标题"
        items.append(
            CompetencyItem(
                code=code,
                parent_code=parent,
                title_zh=title_zh,
                title_en=title_en,
                description_zh=draw(cell_text),
                description_en=draw(cell_text),
                sequence=siblings[parent],
            )
        )
    return tuple(items)


@settings(max_examples=60, deadline=None)
@given(trees())
def test_csv_round_trip_of_any_tree_is_lossless(items: tuple[CompetencyItem, ...]) -> None:
    framework = Framework(id="gen", version="1", title_zh="生成", title_en="", items=items)
    again = framework_from_csv(
        framework_to_csv(framework), framework_id="gen", version="1", title_zh="生成", title_en=""
    )
    assert again == framework
