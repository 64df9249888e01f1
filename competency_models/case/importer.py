"""Import a CASE 1.0 / 1.1 CFPackage as a framework (see `competency_models.case` for the mapping).

The importer checks the whole package before it builds anything and reports the problems it
found with their JSON paths, so an invalid package imports nothing and the administrator can fix
every problem in one go.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from competency_models.case._common import (
    EXTENSION_KEY,
    KEPT_DOCUMENT_FIELDS,
    NOTE_PREFIX,
    is_chinese,
)
from competency_models.case.rubrics import read_rubrics
from competency_models.framework_io import Problems, build_framework
from competency_models.frameworks import (
    CompetencyItem,
    Framework,
    FrameworkError,
    FrameworkImportError,
    HierarchyLevel,
    is_uuid,
)
from competency_models.scales import DEFAULT_SCALE, ProficiencyScale


def is_case_package(document: Any) -> bool:
    """Return whether parsed JSON is shaped like a CFPackage (an object with a CFDocument)."""
    return isinstance(document, dict) and isinstance(document.get("CFDocument"), dict)


def framework_from_case_json(data: bytes | str) -> Framework:
    """Parse CFPackage JSON and import it; see `framework_from_case`.

    Raises:
        FrameworkImportError: if the JSON does not parse or the package is invalid.
    """
    try:
        document = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise FrameworkImportError("the CASE package is not JSON", [f"$: {error}"]) from None
    return framework_from_case(document)


def framework_from_case(
    package: Any, *, default_scale: ProficiencyScale = DEFAULT_SCALE
) -> Framework:
    """Import a parsed CFPackage as a framework.

    Args:
        package: the parsed JSON of a CASE 1.0 or 1.1 CFPackage.
        default_scale: the scale to use when no CFRubric defines one.

    Raises:
        FrameworkImportError: listing the first problems with their JSON paths
            (``CFItems[3].identifier: not a UUID``); nothing is imported.
    """
    if not is_case_package(package):
        raise FrameworkImportError(
            "not a CASE package", ["$.CFDocument: missing (a CFPackage has one CFDocument)"]
        )
    return _Importer(package).run(default_scale)


@dataclass(frozen=True, slots=True)
class _RawItem:
    index: int
    identifier: str
    uri: str
    statement: str
    human_code: str | None
    language: str | None
    abbreviated: str | None
    item_type: str | None
    extension: Mapping[str, Any] | None


class _Importer:
    def __init__(self, package: Mapping[str, Any]) -> None:
        self.package = package
        self.problems = Problems()

    def run(self, default_scale: ProficiencyScale) -> Framework:
        p = self.problems
        document = self.package["CFDocument"]
        doc_identifier = p.text(document, "identifier", "CFDocument", required=True)
        if doc_identifier and not is_uuid(doc_identifier):
            p.add("CFDocument.identifier", "not a UUID")
        doc_uri = p.text(document, "uri", "CFDocument", required=True)
        doc_title = p.text(document, "title", "CFDocument", required=True)
        doc_language = p.optional(document, "language", "CFDocument")
        doc_extension = self.extension(document, "CFDocument")

        metadata = self.document_metadata(
            document, doc_identifier, doc_title, doc_language, doc_extension
        )
        raw_items = self.items()
        by_identifier = {item.identifier: item for item in raw_items}
        by_uri = {item.uri: item for item in raw_items}
        codes = self.codes(raw_items)
        parents = self.parents(doc_identifier, doc_uri, by_identifier, by_uri)
        scale, rubrics = read_rubrics(self.package, p, codes, by_identifier, default_scale)
        built = [self.competency_item(raw, codes, parents, doc_language) for raw in raw_items]
        items = tuple(item for item in built if item is not None)
        if p.found:
            raise FrameworkImportError(
                f"CASE package {doc_title or doc_identifier or '?'} cannot be imported", p.found
            )
        return build_framework(
            items=items,
            scale=scale,
            rubrics=rubrics,
            case_identifier=doc_identifier,
            uri=doc_uri,
            **metadata,
        )

    # --- reading parts ------------------------------------------------------------------

    def extension(self, obj: Mapping[str, Any], path: str) -> Mapping[str, Any] | None:
        extensions = obj.get("extensions")
        if extensions is None:
            return None
        if not isinstance(extensions, dict):
            self.problems.add(f"{path}.extensions", "expected an object")
            return None
        ours = extensions.get(EXTENSION_KEY)
        if ours is None:
            return None
        if not isinstance(ours, dict):
            self.problems.add(f"{path}.extensions.{EXTENSION_KEY}", "expected an object")
            return None
        return ours

    def items(self) -> list[_RawItem]:
        p = self.problems
        found: list[_RawItem] = []
        seen: dict[str, int] = {}
        for index, entry in enumerate(p.objects(self.package, "CFItems", "$")):
            path = f"CFItems[{index}]"
            identifier = p.text(entry, "identifier", path, required=True)
            if identifier and not is_uuid(identifier):
                p.add(f"{path}.identifier", "not a UUID")
            elif identifier in seen:
                p.add(f"{path}.identifier", f"duplicate of CFItems[{seen[identifier]}]")
            seen.setdefault(identifier, index)
            statement = p.text(entry, "fullStatement", path, required=True)
            if isinstance(entry.get("fullStatement"), str) and not statement.strip():
                p.add(f"{path}.fullStatement", "empty")
            found.append(
                _RawItem(
                    index=index,
                    identifier=identifier,
                    uri=p.text(entry, "uri", path, required=True),
                    statement=statement,
                    human_code=(p.optional(entry, "humanCodingScheme", path) or "").strip() or None,
                    language=p.optional(entry, "language", path),
                    abbreviated=p.optional(entry, "abbreviatedStatement", path),
                    item_type=p.optional(entry, "CFItemType", path),
                    extension=self.extension(entry, path),
                )
            )
        return found

    def codes(self, raw_items: list[_RawItem]) -> dict[str, str]:
        """Code per item identifier: the extension's, else a unique humanCodingScheme, else the
        identifier itself (stable across re-imports)."""
        p = self.problems
        codes: dict[str, str] = {}
        human_counts: dict[str, int] = {}
        for raw in raw_items:
            if raw.human_code:
                human_counts[raw.human_code] = human_counts.get(raw.human_code, 0) + 1
        for raw in raw_items:
            code: str | None = None
            if raw.extension is not None:
                code = (
                    p.text(
                        raw.extension,
                        "code",
                        f"CFItems[{raw.index}].extensions.trellis",
                        required=True,
                    )
                    or None
                )
            if code is None and raw.human_code and human_counts[raw.human_code] == 1:
                code = raw.human_code
            codes[raw.identifier] = code or raw.identifier
        return codes

    def parents(
        self,
        doc_identifier: str,
        doc_uri: str,
        by_identifier: Mapping[str, _RawItem],
        by_uri: Mapping[str, _RawItem],
    ) -> dict[str, tuple[str | None, int]]:
        """Parent identifier (None = the document) and sequence number per item identifier."""
        p = self.problems
        parents: dict[str, tuple[str | None, int]] = {}
        first_parent_at: dict[str, int] = {}
        for index, entry in enumerate(p.objects(self.package, "CFAssociations", "$")):
            path = f"CFAssociations[{index}]"
            identifier = p.text(entry, "identifier", path, required=True)
            if identifier and not is_uuid(identifier):
                p.add(f"{path}.identifier", "not a UUID")
            kind = p.text(entry, "associationType", path, required=True)
            origin = self.node(entry, "originNodeURI", path)
            destination = self.node(entry, "destinationNodeURI", path)
            sequence = p.integer(entry, "sequenceNumber", path)
            if kind != "isChildOf" or origin is None or destination is None:
                continue  # other association types are not modelled (yet)
            child = self.resolve(origin, by_identifier, by_uri)
            if child is None:
                p.add(f"{path}.originNodeURI", "refers to unknown item")
                continue
            if self.refers_to(destination, doc_identifier, doc_uri):
                parent: str | None = None
            else:
                found = self.resolve(destination, by_identifier, by_uri)
                if found is None:
                    p.add(f"{path}.destinationNodeURI", "refers to unknown item")
                    continue
                parent = found.identifier
            if child.identifier in parents:
                if parents[child.identifier][0] != parent:
                    p.add(
                        path,
                        f"CFItems[{child.index}] already has a parent "
                        f"(CFAssociations[{first_parent_at[child.identifier]}]); "
                        "Trellis frameworks are trees, an item has one parent",
                    )
                continue
            first_parent_at[child.identifier] = index
            parents[child.identifier] = (parent, sequence or 0)
        return parents

    def node(self, entry: Mapping[str, Any], key: str, path: str) -> tuple[str, str] | None:
        link = entry.get(key)
        if not isinstance(link, dict):
            self.problems.add(f"{path}.{key}", "missing" if link is None else "expected an object")
            return None
        identifier = link.get("identifier")
        uri = link.get("uri")
        if not isinstance(identifier, str) and not isinstance(uri, str):
            self.problems.add(f"{path}.{key}", "needs an identifier or a uri")
            return None
        return (
            identifier if isinstance(identifier, str) else "",
            uri if isinstance(uri, str) else "",
        )

    @staticmethod
    def refers_to(node: tuple[str, str], identifier: str, uri: str) -> bool:
        """A link refers to an object by its identifier; by its uri only when it has no
        identifier (a link whose identifier names another object is not rescued by its uri)."""
        return node[0] == identifier if node[0] else node[1] == uri

    @staticmethod
    def resolve(
        node: tuple[str, str],
        by_identifier: Mapping[str, _RawItem],
        by_uri: Mapping[str, _RawItem],
    ) -> _RawItem | None:
        return by_identifier.get(node[0]) if node[0] else by_uri.get(node[1])

    # --- building -----------------------------------------------------------------------

    def competency_item(
        self,
        raw: _RawItem,
        codes: Mapping[str, str],
        parents: Mapping[str, tuple[str | None, int]],
        doc_language: str | None,
    ) -> CompetencyItem | None:
        p = self.problems
        path = f"CFItems[{raw.index}]"
        parent_identifier, sequence = parents.get(raw.identifier, (None, 0))
        if raw.extension is not None:
            ext_path = f"{path}.extensions.{EXTENSION_KEY}"
            title_zh, title_en = p.bilingual(raw.extension, "title", ext_path)
            description_zh, description_en = p.bilingual(raw.extension, "description", ext_path)
        else:
            description_zh = description_en = ""
            if is_chinese(raw.statement, raw.language or doc_language):
                title_zh, title_en = raw.statement, ""
            else:
                title_zh, title_en = "", raw.statement
        try:
            return CompetencyItem(
                code=codes[raw.identifier],
                parent_code=None if parent_identifier is None else codes[parent_identifier],
                title_zh=title_zh,
                title_en=title_en,
                description_zh=description_zh,
                description_en=description_en,
                sequence=sequence,
                identifier=raw.identifier,
                uri=raw.uri,
                abbreviated_statement=raw.abbreviated,
                item_type=raw.item_type,
                language=raw.language,
            )
        except FrameworkError as error:
            for problem in error.problems:
                p.add(path, problem)
            return None

    def document_metadata(
        self,
        document: Mapping[str, Any],
        identifier: str,
        title: str,
        language: str | None,
        extension: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        p = self.problems
        version = p.optional(document, "version", "CFDocument") or ""
        last_change = p.optional(document, "lastChangeDateTime", "CFDocument") or ""
        if extension is not None:
            path = f"CFDocument.extensions.{EXTENSION_KEY}"
            notes = extension.get("notes") or {}
            if not isinstance(notes, dict) or not all(isinstance(v, str) for v in notes.values()):
                p.add(f"{path}.notes", "expected an object of strings")
                notes = {}
            title_zh, title_en = p.bilingual(extension, "title", path)
            description_zh, description_en = p.bilingual(extension, "description", path)
            metadata: dict[str, Any] = {
                "id": p.text(extension, "id", path, required=True),
                "title_zh": title_zh,
                "title_en": title_en,
                "description_zh": description_zh,
                "description_en": description_en,
                "source": p.text(extension, "source", path, required=False),
                "notes": notes,
                "hierarchy": tuple(
                    HierarchyLevel(
                        depth=p.integer(level, "depth", f"{path}.hierarchy_levels[{i}]") or 0,
                        name_zh=p.text(
                            level, "zh", f"{path}.hierarchy_levels[{i}]", required=False
                        ),
                        name_en=p.text(
                            level, "en", f"{path}.hierarchy_levels[{i}]", required=False
                        ),
                        count=p.integer(level, "count", f"{path}.hierarchy_levels[{i}]"),
                    )
                    for i, level in enumerate(p.objects(extension, "hierarchy_levels", path))
                ),
            }
        else:
            description = p.optional(document, "description", "CFDocument") or ""
            chinese = is_chinese(title, language)
            kept = {
                f"{NOTE_PREFIX}{field}": document[field]
                for field in KEPT_DOCUMENT_FIELDS
                if isinstance(document.get(field), str) and document[field]
            }
            source_parts = [
                document.get(field)
                for field in ("creator", "publisher", "officialSourceURL")
                if isinstance(document.get(field), str) and document.get(field)
            ]
            metadata = {
                "id": identifier,
                "title_zh": title if chinese else "",
                "title_en": "" if chinese else title,
                "description_zh": description if chinese else "",
                "description_en": "" if chinese else description,
                "source": "; ".join(str(part) for part in source_parts),
                "notes": kept,
            }
        metadata["version"] = version or last_change or "1"
        return metadata
