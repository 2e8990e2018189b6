"""The shipped code tables (``data/*.json``) and a user's mapping file, merged.

A table maps a coding ``(system, code)`` to a target: an ICD-11 MMS code for conditions, a
``bodySiteCode`` for body sites. Systems are written as an alias (``snomed``, ``icd10``,
``icd11``) or a full URI. A user's file has the shipped files' form::

    {"conditions": [{"system": "snomed", "code": "238575004", "icd11": "EK00"}],
     "bodySites":  [{"system": "snomed", "code": "368208006", "site": "armLeft"}]}

Its entries are added to the shipped ones, replacing those with the same coding.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["SYSTEMS", "CodeTables", "system_alias"]

#: The code systems the tables know, by alias: the URIs each stands for.
SYSTEMS: dict[str, tuple[str, ...]] = {
    "snomed": ("http://snomed.info/sct",),
    "icd10": (
        "http://hl7.org/fhir/sid/icd-10",
        "http://hl7.org/fhir/sid/icd-10-cm",
        "http://hl7.org/fhir/sid/icd-10-gm",
    ),
    "icd11": (
        "http://id.who.int/icd/release/11/mms",
        "http://id.who.int/icd11/mms",
        "http://hl7.org/fhir/sid/icd-11",
    ),
}
_ALIASES = {uri: alias for alias, uris in SYSTEMS.items() for uri in uris} | {
    alias: alias for alias in SYSTEMS
}


def system_alias(system: object) -> str | None:
    """The alias of a coding's system (``snomed``, ``icd10``, ``icd11``), or None if unknown."""
    return _ALIASES.get(system.rstrip("/")) if isinstance(system, str) else None


def normal_code(alias: str, code: str) -> str:
    """A code as the tables key it: ICD-10 upper case without its dot, others stripped."""
    code = code.strip()
    return code.upper().replace(".", "") if alias == "icd10" else code


def _entries(data: object, key: str, target: str, where: str) -> dict[tuple[str, str], str]:
    if not isinstance(data, dict) or not isinstance(data.get(key, []), list):
        raise ValueError(f"{where}: '{key}' must be a list of entries")
    out: dict[tuple[str, str], str] = {}
    for i, entry in enumerate(data.get(key, [])):
        at = f"{where}: {key}[{i}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{at}: must be an object")
        system, code, value = entry.get("system"), entry.get("code"), entry.get(target)
        alias = system_alias(system)
        if alias is None:
            raise ValueError(f"{at}.system: not one of {', '.join(SYSTEMS)} (or their URIs)")
        if not isinstance(code, str) or not code.strip():
            raise ValueError(f"{at}.code: required (a string)")
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{at}.{target}: required (a string)")
        out[(alias, normal_code(alias, code))] = value.strip()
    return out


def shipped(name: str) -> dict[str, Any]:
    """A shipped table (``conditions`` or ``body_sites``) as its JSON object."""
    text = resources.files(__package__).joinpath("data", f"{name}.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@dataclass(frozen=True, slots=True)
class CodeTables:
    """Codings of conditions → ICD-11, and of body sites → ``bodySiteCode``."""

    conditions: dict[tuple[str, str], str]
    body_sites: dict[tuple[str, str], str]

    @classmethod
    def load(cls, mapping_file: str | os.PathLike[str] | None = None) -> CodeTables:
        """The shipped tables, with ``mapping_file``'s entries added over them.

        Raises ``ValueError`` naming the file and the entry for a bad mapping file.
        """
        conditions = _entries(shipped("conditions"), "entries", "icd11", "conditions.json")
        body_sites = _entries(shipped("body_sites"), "entries", "site", "body_sites.json")
        if mapping_file is not None:
            path = Path(mapping_file)
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ValueError(f"{path.name}: not a readable JSON mapping file ({exc})") from None
            if not isinstance(data, dict) or set(data) - {"conditions", "bodySites"}:
                raise ValueError(f"{path.name}: an object with 'conditions' and/or 'bodySites'")
            conditions |= _entries(data, "conditions", "icd11", path.name)
            body_sites |= _entries(data, "bodySites", "site", path.name)
        return cls(conditions=conditions, body_sites=body_sites)
