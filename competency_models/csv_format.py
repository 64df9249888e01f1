"""Frameworks as CSV, for trainers who keep them in spreadsheets.

One row per item under a required header row::

    code,parent_code,title_zh,title_en,description_zh,description_en
    1,,数字化意识,Digital awareness,…,…
    1.1,1,数字化认识,Understanding of digitalisation,…,…

UTF-8, with or without a byte-order mark (Excel on Chinese Windows writes one when saving as
"CSV UTF-8"), comma separated, quoted as Excel quotes. Column order is free and extra columns are
rejected, so a typo in a header does not silently drop a column. Cells are trimmed of surrounding
spaces (spreadsheets collect them) and blank rows are skipped. Rows keep their order: an item's
sequence number is its position among its siblings in the file. A CSV carries only the items:
the framework's id, version and titles come from the caller (or from the file name), and the
scale is the default one unless another is given.

Errors name the row (the header is row 1, as a spreadsheet numbers it) and the column.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Mapping

from competency_models.framework_io import build_framework
from competency_models.frameworks import (
    CompetencyItem,
    Framework,
    FrameworkError,
    FrameworkImportError,
)
from competency_models.scales import DEFAULT_SCALE, ProficiencyScale

CSV_COLUMNS = ("code", "parent_code", "title_zh", "title_en", "description_zh", "description_en")
"""The columns of a framework CSV, in the order Trellis writes them."""

REQUIRED_COLUMNS = ("code", "parent_code")
"""Columns a header must have; the title and description columns may be left out."""


def looks_like_framework_csv(text: str) -> bool:
    """Return whether the first line of ``text`` is meant as a framework CSV header.

    A header with a ``code`` column counts, so a sheet that lacks another required column is
    read and told which column is missing rather than called "not a framework".
    """
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    try:
        header = next(csv.reader([first_line]))
    except (csv.Error, StopIteration):
        return False
    names = {name.strip().lower() for name in header}
    return "code" in names


def framework_from_csv(
    data: str | bytes,
    *,
    framework_id: str | None = None,
    version: str | None = None,
    title_zh: str | None = None,
    title_en: str | None = None,
    scale: ProficiencyScale = DEFAULT_SCALE,
    source: str = "",
    notes: Mapping[str, str] | None = None,
    filename: str | None = None,
) -> Framework:
    """Read a framework from CSV.

    Args:
        data: the CSV, as text or as UTF-8 bytes (a BOM is allowed either way).
        framework_id: the framework's id; defaults to a slug of the file name, else "csv-import".
        version: the version; defaults to "csv-" and the first 12 hex digits of the data's
            SHA-256, so the same spreadsheet always gives the same version.
        title_zh: Chinese title; defaults to the file name without extension.
        title_en: English title; defaults to the file name without extension.
        scale: the proficiency scale.
        source: where the spreadsheet comes from.
        notes: provenance notes.
        filename: the uploaded file's name, used for the defaults above.

    Raises:
        FrameworkImportError: naming the row and column of every problem; nothing is imported.
    """
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise FrameworkImportError(
                "the CSV is not UTF-8",
                [f"byte {error.start}: not UTF-8 (save as 'CSV UTF-8' in Excel)"],
            ) from None
    else:
        text = data.removeprefix("\ufeff")
    stem = _stem(filename)
    items = _read_items(text)
    return build_framework(
        id=framework_id or _slug(stem) or "csv-import",
        version=version or "csv-" + hashlib.sha256(text.encode()).hexdigest()[:12],
        title_zh=title_zh if title_zh is not None else stem or "CSV 导入的框架",
        title_en=title_en if title_en is not None else stem or "Framework imported from CSV",
        items=items,
        scale=scale,
        source=source,
        notes=dict(notes or {}),
    )


def _read_items(text: str) -> tuple[CompetencyItem, ...]:
    problems: list[str] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise FrameworkImportError("the CSV is empty", ["row 1: header row missing"]) from None
    except csv.Error as error:
        raise FrameworkImportError("the CSV does not parse", [f"row 1: {error}"]) from None
    columns = [name.strip().lower() for name in header]
    for position, name in enumerate(columns, start=1):
        if name not in CSV_COLUMNS:
            problems.append(f"row 1, column {position}: unknown column {header[position - 1]!r}")
        elif columns.index(name) != position - 1:
            problems.append(f"row 1, column {position}: column {name!r} appears twice")
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            problems.append(f"row 1: required column {name!r} is missing")
    if problems:
        raise FrameworkImportError("the CSV header is not usable", problems)

    items: list[CompetencyItem] = []
    rows_of: dict[str, int] = {}
    siblings: dict[str | None, int] = {}
    pending_parents: list[tuple[int, str, str]] = []
    try:
        for row_number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue  # spreadsheets leave blank rows behind
            if len(row) > len(columns):
                problems.append(
                    f"row {row_number}: {len(row)} cells but the header has {len(columns)}"
                )
                continue
            cells = dict(zip(columns, (cell.strip() for cell in row), strict=False))
            code = cells.get("code", "")
            parent = cells.get("parent_code", "") or None
            if not code:
                problems.append(f"row {row_number}, code: empty")
                continue
            if code in rows_of:
                problems.append(
                    f"row {row_number}, code: {code!r} already used in row {rows_of[code]}"
                )
                continue
            rows_of[code] = row_number
            if parent is not None:
                pending_parents.append((row_number, code, parent))
            siblings[parent] = siblings.get(parent, 0) + 1
            try:
                items.append(
                    CompetencyItem(
                        code=code,
                        parent_code=parent,
                        title_zh=cells.get("title_zh", ""),
                        title_en=cells.get("title_en", ""),
                        description_zh=cells.get("description_zh", ""),
                        description_en=cells.get("description_en", ""),
                        sequence=siblings[parent],
                    )
                )
            except FrameworkError as error:
                problems.extend(f"row {row_number}: {problem}" for problem in error.problems)
    except csv.Error as error:
        problems.append(f"row {reader.line_num}: {error}")
    for row_number, code, parent in pending_parents:
        if parent not in rows_of:
            problems.append(f"row {row_number}, parent_code: no item has code {parent!r}")
        elif parent == code:
            problems.append(f"row {row_number}, parent_code: an item cannot be its own parent")
    if problems:
        raise FrameworkImportError("the CSV cannot be imported", problems)
    return tuple(items)


def framework_to_csv(framework: Framework, *, bom: bool = True) -> bytes:
    """Write the framework's items as CSV, in canonical order.

    Args:
        framework: the framework to write.
        bom: start with a UTF-8 byte-order mark, so Excel on Chinese Windows opens the file as
            UTF-8 rather than in the local code page.

    Returns:
        UTF-8 bytes with CRLF line ends (as Excel writes them).
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in framework.items:
        writer.writerow(
            (
                item.code,
                item.parent_code or "",
                item.title_zh,
                item.title_en,
                item.description_zh,
                item.description_en,
            )
        )
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8")


def _stem(filename: str | None) -> str:
    if not filename:
        return ""
    name = re.split(r"[\\/]", filename)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


__all__ = [
    "CSV_COLUMNS",
    "REQUIRED_COLUMNS",
    "framework_from_csv",
    "framework_to_csv",
    "looks_like_framework_csv",
]
