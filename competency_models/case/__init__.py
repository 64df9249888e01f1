"""1EdTech CASE 1.0 / 1.1 packages (CFPackage JSON) to and from frameworks.

How a bilingual Trellis framework maps onto CASE, whose statements are single strings in one
declared ``language``:

* ``fullStatement`` is the Chinese title (the English one when there is no Chinese title);
  ``CFDocument.language`` is ``"zh"``. ``humanCodingScheme`` is the item's code.
* Everything CASE has no field for travels in CASE 1.1 ``extensions`` under the key
  ``"trellis"``: on each CFItem ``{"code", "title": {zh, en}, "description": {zh, en}}``, on the
  CFDocument ``{"id", "title", "description", "source", "notes", "hierarchy_levels"}``. When an
  extension is present it is authoritative (it is the lossless copy); CASE 1.0 readers ignore it.
* The proficiency scale is exported as a CFRubric with one criterion whose levels are the scale's
  levels (``position`` = rank, ``quality`` = label), and the exact scale (codes, both labels, cut
  points) in the rubric's ``extensions.trellis.scale``.
* Identifiers are uuid5 under `TRELLIS_NAMESPACE` (items from framework id and code, the document
  from id and version, associations and rubric parts from those), so the same framework always
  exports to byte-identical JSON (sorted keys).

Packages from other publishers (no ``trellis`` extension) import as: framework id = the
CFDocument identifier; item code = ``humanCodingScheme`` when present and unique, else the
item's identifier; the statement goes to the Chinese title when its declared language (the item's,
else the document's) is Chinese or, undeclared, when it contains CJK characters, else to the
English one; parents from ``isChildOf`` associations, order from their ``sequenceNumber``.
A CFRubric whose criteria all share one ordered list of level labels becomes the scale (cut
points evenly spaced); every other publisher's rubric is kept as data.
"""

from competency_models.case.exporter import framework_to_case, framework_to_case_json
from competency_models.case.importer import (
    framework_from_case,
    framework_from_case_json,
    is_case_package,
)

__all__ = [
    "framework_from_case",
    "framework_from_case_json",
    "framework_to_case",
    "framework_to_case_json",
    "is_case_package",
]
