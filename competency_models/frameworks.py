"""Competency frameworks: a versioned tree of competency items with a proficiency scale.

A framework is the yardstick a teacher's growth is measured against (教师数字素养 JY/T 0646—2022,
DigCompEdu, a programme's own subject teaching literacy). It is immutable: a new wording, a new
item or a new scale is a new version with a new fingerprint, and a teacher's history keeps
pointing at the version it was computed with.

Invariants are checked when a `Framework` is built, so every framework in the system is a proper
tree: unique codes, every parent present, no cycles, items in one deterministic order (depth-first,
siblings by sequence number then by code).

Every item has a stable URI. Items imported from CASE keep the publisher's URI and identifier;
items Trellis mints itself get ``urn:uuid:<uuid5(TRELLIS_NAMESPACE, "<framework id>#<code>")>``.
The framework version is deliberately not part of an item's identity: an activity aligned to an
item's URI keeps counting as evidence for it when the framework is revised; the version is
carried by the framework's fingerprint and its CASE document identifier.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from types import MappingProxyType
from typing import Any

from competency_models.evidence import CompetencyRef
from competency_models.scales import DEFAULT_SCALE, ProficiencyScale

TRELLIS_NAMESPACE = uuid.UUID("cc0b43c0-f2fe-57f1-acb8-88c5eeba7c15")
"""Namespace of the uuid5 identifiers Trellis mints: uuid5(NAMESPACE_URL,
"urn:trellis:competency-frameworks"). Never change it: minted URIs would change with it."""

MAX_REPORTED_PROBLEMS = 20
"""How many problems an error lists before it stops (the count of all problems is kept)."""

_UUID_SHAPE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)


class FrameworkError(ValueError):
    """A framework that breaks an invariant, or data that cannot become one.

    Attributes:
        problems: the first problems found (at most `MAX_REPORTED_PROBLEMS`), each naming where.
        total: how many problems were found in all.
    """

    def __init__(self, summary: str, problems: Iterable[str] = ()) -> None:
        found = list(problems)
        self.problems: tuple[str, ...] = tuple(found[:MAX_REPORTED_PROBLEMS])
        self.total: int = len(found)
        lines = [summary, *(f"  - {p}" for p in self.problems)]
        if self.total > len(self.problems):
            lines.append(f"  … and {self.total - len(self.problems)} more")
        super().__init__("\n".join(lines))


class FrameworkImportError(FrameworkError):
    """Framework data (CASE JSON, Trellis JSON, CSV) that cannot be imported; nothing was imported.

    Every problem names its place: a JSON path (``CFItems[3].identifier: not a UUID``) or a CSV
    row and column (``row 7, parent_code: no item has code '9.9'``).
    """


def is_uuid(text: str) -> bool:
    """Return whether ``text`` is a UUID in its 8-4-4-4-12 hexadecimal form."""
    return bool(_UUID_SHAPE.match(text))


def mint_identifier(framework_id: str, code: str) -> str:
    """Return the identifier Trellis mints for an item: uuid5 of ``"<framework id>#<code>"``."""
    return str(uuid.uuid5(TRELLIS_NAMESPACE, f"{framework_id}#{code}"))


def mint_document_identifier(framework_id: str, version: str) -> str:
    """Return the identifier Trellis mints for one framework version (its CASE CFDocument)."""
    return str(uuid.uuid5(TRELLIS_NAMESPACE, f"{framework_id}@{version}"))


def code_sort_key(code: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key ordering outline codes naturally: ``"1.2" < "1.10" < "A"``."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"[.\-_/ ]+", code)
    )


@dataclass(frozen=True, slots=True)
class CompetencyItem:
    """One competency (dimension, area or indicator) in a framework's tree.

    Attributes:
        code: the item's code, unique in its framework ("2.1.3"); CASE's humanCodingScheme.
        parent_code: the parent item's code, or None for a top-level item.
        title_zh: Chinese title.
        title_en: English title (at least one of the two titles is required).
        description_zh: Chinese description, may be empty.
        description_en: English description, may be empty.
        sequence: position among its siblings; siblings sort by (sequence, code).
        identifier: the CASE identifier (a UUID) when the item came from a publisher, or None
            for one Trellis mints from the framework id and code (see `Framework.identifier_of`).
        uri: the publisher's URI for the item, or None for ``urn:uuid:<identifier>``.
        abbreviated_statement: CASE abbreviatedStatement, if any.
        item_type: CASE CFItemType ("Domain", "Competency", "一级维度"), if any.
        language: the CASE language tag the publisher declared for the item, if any.
    """

    code: str
    parent_code: str | None
    title_zh: str
    title_en: str
    description_zh: str = ""
    description_en: str = ""
    sequence: int = 0
    identifier: str | None = None
    uri: str | None = None
    abbreviated_statement: str | None = None
    item_type: str | None = None
    language: str | None = None

    def __post_init__(self) -> None:
        problems = _item_problems(self)
        if problems:
            raise FrameworkError(f"competency item {self.code!r} is invalid", problems)

    @property
    def title(self) -> str:
        """The title to show first: Chinese when there is one, else English."""
        return self.title_zh if self.title_zh.strip() else self.title_en


def _item_problems(item: CompetencyItem) -> list[str]:
    problems: list[str] = []
    if not item.code.strip() or item.code != item.code.strip():
        problems.append(f"code {item.code!r}: must be non-empty without surrounding spaces")
    if item.parent_code is not None and not item.parent_code.strip():
        problems.append(f"{item.code}: parent code is empty (use None for a top-level item)")
    if item.parent_code == item.code:
        problems.append(f"{item.code}: is its own parent")
    if not (item.title_zh.strip() or item.title_en.strip()):
        problems.append(f"{item.code}: needs a Chinese or an English title")
    if item.identifier is not None and not is_uuid(item.identifier):
        problems.append(f"{item.code}: identifier {item.identifier!r} is not a UUID")
    if item.uri is not None and not item.uri.strip():
        problems.append(f"{item.code}: uri is empty (use None for a minted one)")
    return problems


@dataclass(frozen=True, slots=True)
class HierarchyLevel:
    """The name of one depth of a framework's tree ("一级维度 primary dimension").

    Attributes:
        depth: 1 for top-level items.
        name_zh: Chinese name.
        name_en: English name.
        count: how many items the source says sit at this depth, checked when given.
    """

    depth: int
    name_zh: str
    name_en: str
    count: int | None = None


@dataclass(frozen=True, slots=True)
class RubricLevel:
    """One level of a rubric criterion, as CASE's CFRubricCriterionLevel carries it."""

    identifier: str
    uri: str
    description: str = ""
    quality: str = ""
    score: float | None = None
    feedback: str = ""
    position: int | None = None


@dataclass(frozen=True, slots=True)
class RubricCriterion:
    """One criterion of a rubric, as CASE's CFRubricCriterion carries it.

    Attributes:
        item_code: the code of the item the criterion assesses, if it names one.
    """

    identifier: str
    uri: str
    category: str = ""
    description: str = ""
    item_code: str | None = None
    weight: float | None = None
    position: int | None = None
    levels: tuple[RubricLevel, ...] = ()


@dataclass(frozen=True, slots=True)
class Rubric:
    """A rubric kept as data: one that is not the framework's proficiency scale."""

    identifier: str
    uri: str
    title: str = ""
    description: str = ""
    criteria: tuple[RubricCriterion, ...] = ()


@dataclass(frozen=True, slots=True)
class Framework:
    """One version of a competency framework.

    Items are reordered on construction into the canonical order (depth-first, siblings by
    sequence then code), so two loads of the same data compare equal and share a fingerprint.

    Attributes:
        id: stable framework id ("cn-moe-jyt0646-2022-teacher-digital-literacy").
        version: the version string as the publisher states it.
        title_zh: Chinese title.
        title_en: English title.
        items: the competency items.
        scale: the proficiency scale estimates on this framework are read with.
        description_zh: Chinese description.
        description_en: English description.
        source: where the framework comes from (citation, URLs); shown to administrators.
        notes: provenance notes (what is verified, what is paraphrase); shown to administrators.
        hierarchy: names of the tree's depths, top first.
        rubrics: rubrics kept as data (not the scale).
        case_identifier: the CASE CFDocument identifier when imported from a publisher, or None
            for one minted from id and version.
        uri: the publisher's CFDocument URI, or None for ``urn:uuid:<document identifier>``.
    """

    id: str
    version: str
    title_zh: str
    title_en: str
    items: tuple[CompetencyItem, ...]
    scale: ProficiencyScale = DEFAULT_SCALE
    description_zh: str = ""
    description_en: str = ""
    source: str = ""
    notes: Mapping[str, str] = field(default_factory=dict, hash=False)
    hierarchy: tuple[HierarchyLevel, ...] = ()
    rubrics: tuple[Rubric, ...] = ()
    case_identifier: str | None = None
    uri: str | None = None
    _by_code: Mapping[str, CompetencyItem] = field(
        init=False, repr=False, compare=False, hash=False
    )
    _by_uri: Mapping[str, CompetencyItem] = field(init=False, repr=False, compare=False, hash=False)
    _children: Mapping[str | None, tuple[CompetencyItem, ...]] = field(
        init=False, repr=False, compare=False, hash=False
    )
    _fingerprint: str = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not self.id.strip():
            problems.append("id: must be non-empty")
        if not self.version.strip():
            problems.append("version: must be non-empty")
        if not (self.title_zh.strip() or self.title_en.strip()):
            problems.append("title: needs a Chinese or an English title")
        if self.case_identifier is not None and not is_uuid(self.case_identifier):
            problems.append(f"case_identifier {self.case_identifier!r}: not a UUID")
        if self.uri is not None and not self.uri.strip():
            problems.append("uri: empty (use None for a minted one)")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in self.notes.items()):
            problems.append("notes: keys and texts must be strings")
        if problems:
            raise FrameworkError(f"framework {self.id!r} is invalid", problems)

        items = tuple(self._without_minted_ids(self.items))
        ordered, children, tree_problems = _canonical_tree(items)
        problems.extend(tree_problems)
        by_code = {item.code: item for item in ordered}
        if not tree_problems:
            problems.extend(self._hierarchy_problems(ordered, by_code))
        by_uri: dict[str, CompetencyItem] = {}
        for item in ordered:
            uri = self._uri_of(item)
            ident_uri = f"urn:uuid:{self._identifier_of(item)}"
            for key in dict.fromkeys((uri, ident_uri)):
                other = by_uri.get(key)
                if other is not None and other.code != item.code:
                    problems.append(f"{item.code}: uri {key!r} is also used by {other.code}")
                by_uri[key] = item
        if problems:
            raise FrameworkError(f"framework {self.id!r} is invalid", problems)

        if self.case_identifier == mint_document_identifier(self.id, self.version):
            object.__setattr__(self, "case_identifier", None)
        if self.uri == f"urn:uuid:{self.document_identifier}":
            object.__setattr__(self, "uri", None)
        object.__setattr__(self, "items", ordered)
        object.__setattr__(self, "notes", MappingProxyType(dict(self.notes)))
        object.__setattr__(self, "_by_code", MappingProxyType(by_code))
        object.__setattr__(self, "_by_uri", MappingProxyType(by_uri))
        object.__setattr__(self, "_children", MappingProxyType(children))
        canonical = json.dumps(
            _plain(self), ensure_ascii=False, sort_keys=True, separators=(",", ":")
        )
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        object.__setattr__(self, "_fingerprint", f"sha256:{digest}")

    def _without_minted_ids(self, items: Iterable[CompetencyItem]) -> Iterator[CompetencyItem]:
        # A minted identifier or URI written out explicitly is the same as None: normalising it
        # keeps export → import lossless and equality meaningful.
        for item in items:
            minted = mint_identifier(self.id, item.code)
            identifier = None if item.identifier == minted else item.identifier
            effective = identifier or minted
            uri = None if item.uri == f"urn:uuid:{effective}" else item.uri
            if (identifier, uri) != (item.identifier, item.uri):
                item = replace(item, identifier=identifier, uri=uri)
            yield item

    def _hierarchy_problems(
        self, ordered: tuple[CompetencyItem, ...], by_code: Mapping[str, CompetencyItem]
    ) -> list[str]:
        problems: list[str] = []
        for position, level in enumerate(self.hierarchy, start=1):
            if level.depth != position:
                problems.append(
                    f"hierarchy[{position - 1}]: depth {level.depth}, expected {position}"
                )
                continue
            if level.count is not None:
                found = sum(1 for item in ordered if _depth(item, by_code) == level.depth)
                if found != level.count:
                    problems.append(
                        f"hierarchy[{position - 1}]: {level.count} items expected at depth "
                        f"{level.depth} ({level.name_en or level.name_zh}), found {found}"
                    )
        return problems

    @property
    def title(self) -> str:
        """The title to show first: Chinese when there is one, else English."""
        return self.title_zh if self.title_zh.strip() else self.title_en

    # --- identity -------------------------------------------------------------------------

    @property
    def document_identifier(self) -> str:
        """The CASE CFDocument identifier of this version (the publisher's, or minted)."""
        return self.case_identifier or mint_document_identifier(self.id, self.version)

    @property
    def document_uri(self) -> str:
        """The CASE CFDocument URI of this version (the publisher's, or ``urn:uuid:…``)."""
        return self.uri or f"urn:uuid:{self.document_identifier}"

    def _identifier_of(self, item: CompetencyItem) -> str:
        return item.identifier or mint_identifier(self.id, item.code)

    def _uri_of(self, item: CompetencyItem) -> str:
        return item.uri or f"urn:uuid:{self._identifier_of(item)}"

    def identifier_of(self, code: str) -> str:
        """Return the item's UUID identifier (the publisher's, or minted from id and code).

        Raises:
            KeyError: if no item has that code.
        """
        return self._identifier_of(self.item(code))

    def uri_of(self, code: str) -> str:
        """Return the item's stable URI, the one activities align to.

        Raises:
            KeyError: if no item has that code.
        """
        return self._uri_of(self.item(code))

    def ref(self, code: str) -> CompetencyRef:
        """Return the `CompetencyRef` evidence uses for the item with this code.

        Raises:
            KeyError: if no item has that code.
        """
        return CompetencyRef(self.id, self.item(code).code)

    @property
    def fingerprint(self) -> str:
        """A content hash of everything this framework models: ``"sha256:<hex>"``.

        Two loads of the same data give the same fingerprint; any change of wording, structure,
        scale or provenance gives a new one.
        """
        return self._fingerprint

    # --- navigation -----------------------------------------------------------------------

    def item(self, code: str) -> CompetencyItem:
        """Return the item with this code.

        Raises:
            KeyError: if no item has that code.
        """
        try:
            return self._by_code[code]
        except KeyError:
            raise KeyError(f"framework {self.id!r} has no item {code!r}") from None

    def get(self, code: str) -> CompetencyItem | None:
        """Return the item with this code, or None."""
        return self._by_code.get(code)

    def item_by_uri(self, uri: str) -> CompetencyItem | None:
        """Return the item an activity id or CASE URI refers to, or None.

        Both the item's URI and ``urn:uuid:<identifier>`` resolve.
        """
        return self._by_uri.get(uri)

    def resolve(self, uri: str, /) -> CompetencyRef | None:
        """Return the competency an activity id or CASE URI names, or None.

        Shaped as the mapping engine's ``CompetencyResolver`` for direct alignment.
        """
        item = self._by_uri.get(uri)
        return None if item is None else CompetencyRef(self.id, item.code)

    def parent_codes(self) -> Mapping[str, str | None]:
        """Return ``child code → parent code`` (None at the top), the tree roll-up works on."""
        return MappingProxyType({item.code: item.parent_code for item in self.items})

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __len__(self) -> int:
        return len(self.items)

    @property
    def roots(self) -> tuple[CompetencyItem, ...]:
        """The top-level items, in order."""
        return self._children.get(None, ())

    def children(self, code: str) -> tuple[CompetencyItem, ...]:
        """Return the item's direct children, in order.

        Raises:
            KeyError: if no item has that code.
        """
        return self._children.get(self.item(code).code, ())

    def ancestors(self, code: str) -> tuple[CompetencyItem, ...]:
        """Return the item's ancestors, parent first, root last.

        Raises:
            KeyError: if no item has that code.
        """
        found: list[CompetencyItem] = []
        parent = self.item(code).parent_code
        while parent is not None:
            item = self._by_code[parent]
            found.append(item)
            parent = item.parent_code
        return tuple(found)

    def depth(self, code: str) -> int:
        """Return the item's depth: 1 for a top-level item.

        Raises:
            KeyError: if no item has that code.
        """
        return len(self.ancestors(code)) + 1

    def leaves(self) -> tuple[CompetencyItem, ...]:
        """Return the items without children, in canonical order."""
        return tuple(item for item in self.items if item.code not in self._children)

    def at_depth(self, depth: int) -> tuple[CompetencyItem, ...]:
        """Return the items at a depth (1 = top level), in canonical order."""
        return tuple(item for item in self.items if self.depth(item.code) == depth)


def uri_index(frameworks: Iterable[Framework]) -> Mapping[str, CompetencyRef]:
    """Return every item URI of the frameworks mapped to its competency.

    Both an item's URI and ``urn:uuid:<identifier>`` are keys. Several versions of one framework
    may be indexed together: their items share URIs and refs.

    Raises:
        FrameworkError: if one URI names different competencies in different frameworks.
    """
    index: dict[str, CompetencyRef] = {}
    problems: list[str] = []
    for framework in frameworks:
        for uri, item in framework._by_uri.items():
            ref = CompetencyRef(framework.id, item.code)
            known = index.setdefault(uri, ref)
            if known != ref:
                problems.append(f"{uri} names both {known} and {ref}")
    if problems:
        raise FrameworkError("frameworks disagree on what a URI names", problems)
    return MappingProxyType(index)


def _depth(item: CompetencyItem, by_code: Mapping[str, CompetencyItem]) -> int:
    depth = 1
    while item.parent_code is not None:
        item = by_code[item.parent_code]
        depth += 1
    return depth


def _canonical_tree(
    items: tuple[CompetencyItem, ...],
) -> tuple[tuple[CompetencyItem, ...], dict[str | None, tuple[CompetencyItem, ...]], list[str]]:
    """Order items depth-first, siblings by (sequence, code); report tree problems."""
    problems: list[str] = []
    by_code: dict[str, CompetencyItem] = {}
    for item in items:
        if item.code in by_code:
            problems.append(f"{item.code}: duplicate code")
        by_code[item.code] = item
    grouped: dict[str | None, list[CompetencyItem]] = {}
    for item in by_code.values():
        if item.parent_code is not None and item.parent_code not in by_code:
            problems.append(f"{item.code}: parent {item.parent_code!r} is not in the framework")
        grouped.setdefault(item.parent_code, []).append(item)
    children = {
        parent: tuple(sorted(group, key=lambda i: (i.sequence, code_sort_key(i.code), i.code)))
        for parent, group in grouped.items()
    }
    ordered: list[CompetencyItem] = []
    stack = list(reversed(children.get(None, ())))
    while stack:
        item = stack.pop()
        ordered.append(item)
        stack.extend(reversed(children.get(item.code, ())))
    unreachable = set(by_code) - {item.code for item in ordered}
    dangling = {item.code for item in by_code.values() if item.parent_code not in by_code}
    cyclic = sorted(unreachable - _descendants_of(dangling, children), key=code_sort_key)
    if cyclic:
        problems.append(f"cycle among items {', '.join(cyclic)}")
    return tuple(ordered), children, problems


def _descendants_of(
    codes: set[str], children: Mapping[str | None, tuple[CompetencyItem, ...]]
) -> set[str]:
    found = set()
    stack = list(codes)
    while stack:
        code = stack.pop()
        if code in found:
            continue
        found.add(code)
        stack.extend(child.code for child in children.get(code, ()))
    return found


def _plain(value: Any) -> Any:
    """Convert dataclasses, mappings and tuples to JSON-ready values (private fields skipped)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in fields(value)
            if not f.name.startswith("_")
        }
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value
