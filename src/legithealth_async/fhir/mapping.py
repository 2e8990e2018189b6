"""FHIR R4 Patient and Condition resources → :class:`~legithealth_async.sync.PatientRecord`.

Only what the mapping reads is checked (types and shapes of those elements): a resource is
otherwise taken as it is. Every message names the resource type, its id and the JSON path, never
a value: a name, a birth date, an email, a phone or an identifier value never leaves this module.
The rules, and every assumption in them, are on the docs page "From FHIR" (docs/fhir.md).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from .. import _constants as C
from .. import _validation as check
from ..errors import ValidationError
from .tables import CodeTables, normal_code, system_alias

__all__ = [
    "ConditionDecision",
    "FhirOptions",
    "Kind",
    "Selection",
    "classify_condition",
    "patient_fields",
]

_CLINICAL_ACTIVE = frozenset({"active", "recurrence", "relapse"})
_VERIFICATION_OUT = frozenset({"entered-in-error", "refuted"})
_NAME_USE_ORDER = ("official", "usual", None, "nickname", "temp", "anonymous", "maiden")
_PHONE_USE_ORDER = ("mobile", None, "home", "work", "temp")
_EMAIL_USE_ORDER = ("home", None, "work", "mobile", "temp")
_GENDERS = frozenset({"male", "female", "other", "unknown"})
_PHONE_PUNCTUATION = re.compile(r"[\s().\-/]")
_DIGITS = re.compile(r"^[0-9]+$")
_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2})?$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")


class Kind(IntEnum):
    """What becomes of one Condition."""

    SENT = 0
    """Selected and placed: sent with its patient."""
    NOT_SELECTED = 1
    """Its code is not (and does not map to) an ICD-11 code of the selection."""
    LEFT_OUT = 2
    """Selected, but left out for a reason (not active, no body site, an unmapped one...)."""


@dataclass(frozen=True, slots=True)
class Selection:
    """The ICD-11 codes sent: prefixes (``EA90``) and ranges of prefixes (``EA-EM``)."""

    text: str
    ranges: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, text: str) -> Selection:
        """``"EA-EM,2C30-2C32"``: comma-separated prefixes or ``LOW-HIGH`` ranges of one length.

        Raises ``ValueError`` naming the bad part.
        """
        ranges = []
        for part in (p.strip().upper() for p in text.split(",")):
            if not part:
                continue
            low, _, high = part.partition("-")
            high = high or low
            if not low.isalnum() or not high.isalnum() or len(low) != len(high) or low > high:
                raise ValueError(
                    f"selection: {part!r} is not an ICD-11 code prefix or a LOW-HIGH range of "
                    "prefixes of one length (e.g. EA-EM, 2C30-2C32, EA90)"
                )
            ranges.append((low, high))
        if not ranges:
            raise ValueError("selection: empty (e.g. EA-EM)")
        return cls(text=text, ranges=tuple(ranges))

    def __contains__(self, code: object) -> bool:
        if not isinstance(code, str):
            return False
        return any(low <= code[: len(low)] <= high for low, high in self.ranges)


@dataclass(frozen=True, slots=True, kw_only=True)
class FhirOptions:
    """How FHIR resources become patient records (every field has a documented default).

    ``identifier_system`` names the ``Patient.identifier.system`` whose value is the external
    id; else ``identifier_type`` (a code of ``identifier.type``, default ``MR``). ``selection``
    is the ICD-11 codes sent (:class:`Selection` syntax). ``mapping_file`` adds to the shipped
    code tables. ``phone_country_code`` (digits, e.g. ``"1"``) turns national phone numbers into
    E.164; without it only numbers written with their ``+`` country code are sent. ``strict``
    fails a patient with a selected condition that cannot be placed, instead of leaving the
    condition out. ``tracked`` sends conditions tracked. ``include_inactive`` and
    ``include_deceased`` sync those patients too (by default each is a failure with a reason).
    ``validate="full"`` also validates every Patient and Condition with ``fhir.resources``
    (the ``fhir`` extra; ~25x slower than the default, which checks what the mapping reads).
    """

    identifier_system: str | None = None
    identifier_type: str | None = None
    selection: str = C.FHIR_SELECTION
    mapping_file: str | None = None
    phone_country_code: str | None = None
    strict: bool = False
    tracked: bool = False
    include_inactive: bool = False
    include_deceased: bool = False
    validate: str = "read"

    def checked(self) -> tuple[Selection, CodeTables]:
        """The parsed selection and loaded tables; ``ValueError`` for a bad option."""
        if self.identifier_system is not None and self.identifier_type is not None:
            raise ValueError("name an identifier system or an identifier type, not both")
        if self.phone_country_code is not None and not (
            _DIGITS.match(self.phone_country_code) and len(self.phone_country_code) <= 3
        ):
            raise ValueError("phone country code: 1 to 3 digits (e.g. 1, 34, 44)")
        if self.validate not in ("read", "full"):
            raise ValueError("validate: 'read' or 'full'")
        return Selection.parse(self.selection), CodeTables.load(self.mapping_file)


@dataclass(frozen=True, slots=True)
class ConditionDecision:
    """One Condition's fate: kind, the ICD-11 code and body sites when sent, else a reason.

    ``placement`` is True for a reason that strict mode turns into a failure of the patient.
    """

    kind: Kind
    pathology: str | None = None
    sites: tuple[str, ...] = ()
    reason: str | None = None
    placement: bool = False
    unmapped: tuple[str, ...] = field(default=(), compare=False)


def _where(resource: dict[str, Any]) -> str:
    rid = resource.get("id")
    kind = resource.get("resourceType", "resource")
    return f"{kind}/{rid}" if isinstance(rid, str) and rid else f"{kind} (no id)"


def _codings(concept: object) -> list[dict[str, Any]]:
    if not isinstance(concept, dict):
        return []
    codings = concept.get("coding")
    return [c for c in codings if isinstance(c, dict)] if isinstance(codings, list) else []


def _codes(concept: object) -> set[str]:
    return {c["code"] for c in _codings(concept) if isinstance(c.get("code"), str)}


def _icd11(concept: object, tables: CodeTables) -> str | None:
    """The ICD-11 code a Condition.code is or maps to (ICD-11 codings first), else None."""
    mapped = None
    for coding in _codings(concept):
        alias, code = system_alias(coding.get("system")), coding.get("code")
        if alias is None or not isinstance(code, str):
            continue
        if alias == "icd11":
            stem = re.split(r"[&/]", code.strip(), maxsplit=1)[0]  # postcoordination dropped
            if check.ICD11_RE.match(stem):
                return stem
        elif mapped is None:
            mapped = tables.conditions.get((alias, normal_code(alias, code)))
    return mapped


def _status_reason(resource: dict[str, Any]) -> str | None:
    clinical = _codes(resource.get("clinicalStatus"))
    verification = _codes(resource.get("verificationStatus"))
    if verification & _VERIFICATION_OUT:
        return f"verificationStatus: {sorted(verification & _VERIFICATION_OUT)[0]}"
    if not clinical:
        return "clinicalStatus: missing (only active conditions are sent)"
    if not clinical & _CLINICAL_ACTIVE:
        return f"clinicalStatus: not active ({sorted(clinical)[0]})"
    return None


def classify_condition(
    resource: dict[str, Any], selection: Selection, tables: CodeTables
) -> ConditionDecision:
    """What becomes of one Condition (never raises for bad content: a reason instead).

    A reason is the JSON path in the Condition and what is wrong (no resource id: the index
    stores that beside it).
    """
    pathology = _icd11(resource.get("code"), tables)
    if pathology is None or pathology not in selection:
        return ConditionDecision(Kind.NOT_SELECTED)
    reason = _status_reason(resource)
    if reason is not None:
        return ConditionDecision(Kind.LEFT_OUT, pathology, reason=reason)
    body_sites = resource.get("bodySite")
    if not isinstance(body_sites, list) or not body_sites:
        return ConditionDecision(
            Kind.LEFT_OUT, pathology, reason="bodySite: none given", placement=True
        )
    sites: list[str] = []
    for i, concept in enumerate(body_sites):
        site = None
        for coding in _codings(concept):
            alias, code = system_alias(coding.get("system")), coding.get("code")
            if alias is not None and isinstance(code, str):
                site = tables.body_sites.get((alias, normal_code(alias, code)))
                if site is not None:
                    break
        if site is None:
            unmapped = tuple(
                f"{c.get('system')}|{c.get('code')}"
                for c in _codings(concept)
                if isinstance(c.get("code"), str)
            )
            return ConditionDecision(
                Kind.LEFT_OUT,
                pathology,
                reason=f"bodySite[{i}]: not in the body site table",
                placement=True,
                unmapped=unmapped or ("(no coding)",),
            )
        if site not in sites:
            sites.append(site)
    return ConditionDecision(Kind.SENT, pathology, tuple(sites))


# ---------------------------------------------------------------------------------- patients


def _list(resource: dict[str, Any], key: str, where: str) -> list[Any]:
    value = resource.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationError(f"{where}.{key}", "must be a list")
    return value


def _ended(item: dict[str, Any]) -> bool:
    period = item.get("period")
    end = period.get("end") if isinstance(period, dict) else None
    return isinstance(end, str) and end[:10] < dt.date.today().isoformat()


def external_id(resource: dict[str, Any], options: FhirOptions) -> str:
    """The one value of the chosen identifier; ``ValidationError`` for none or two."""
    where = _where(resource)
    system = options.identifier_system
    type_code = None if system is not None else (options.identifier_type or C.FHIR_IDENTIFIER_TYPE)
    wanted = f"system {system}" if system is not None else f"type {type_code}"
    values: dict[str, int] = {}
    for i, ident in enumerate(_list(resource, "identifier", where)):
        if not isinstance(ident, dict) or ident.get("use") == "old" or _ended(ident):
            continue
        if system is not None:
            if ident.get("system") != system:
                continue
        elif type_code not in _codes(ident.get("type")):
            continue
        value = ident.get("value")
        if not isinstance(value, str):
            raise ValidationError(f"{where}.identifier[{i}].value", "must be a string")
        if value.strip():
            values.setdefault(value.strip(), i)
    if not values:
        raise ValidationError(f"{where}.identifier", f"none of {wanted}")
    if len(values) > 1:
        at = ", ".join(f"identifier[{i}]" for i in sorted(values.values())[:2])
        raise ValidationError(f"{where}.identifier", f"two different values of {wanted} ({at})")
    return next(iter(values))


def _ranked(items: Iterable[tuple[int, dict[str, Any]]], order: Sequence[str | None]) -> list[int]:
    """Indexes of ``items`` by ``rank`` (1 first, none last), then by ``use`` in ``order``."""

    def key(pair: tuple[int, dict[str, Any]]) -> tuple[int, int, int]:
        i, item = pair
        rank = item.get("rank")
        use = item.get("use")
        pos = order.index(use) if use in order else len(order)
        return (rank if isinstance(rank, int) and rank > 0 else 1 << 30, pos, i)

    return [i for i, _ in sorted(items, key=key)]


def _names(resource: dict[str, Any], where: str) -> tuple[str | None, str | None]:
    names = [
        (i, n)
        for i, n in enumerate(_list(resource, "name", where))
        if isinstance(n, dict) and n.get("use") != "old" and not _ended(n)
    ]
    for i in _ranked(names, _NAME_USE_ORDER):
        name = resource["name"][i]
        given = name.get("given")
        family = name.get("family")
        if given is not None and not (
            isinstance(given, list) and all(isinstance(g, str) for g in given)
        ):
            raise ValidationError(f"{where}.name[{i}].given", "must be a list of strings")
        if family is not None and not isinstance(family, str):
            raise ValidationError(f"{where}.name[{i}].family", "must be a string")
        first = " ".join(g.strip() for g in given or [] if g.strip()) or None
        last = family.strip() if family else None
        if first or last:
            return first, last
    return None, None


def e164(value: str, country_code: str | None) -> str | None:
    """``value`` as an E.164 number, or None when it cannot be one without guessing.

    Spaces, dots, dashes, slashes and parentheses are dropped; a leading ``00`` is ``+``. A
    number without ``+`` is national: with ``country_code`` one trunk ``0`` is dropped (and a
    leading ``1`` of an 11-digit NANP number) and the code put in front; without it, None.
    """
    text = _PHONE_PUNCTUATION.sub("", value)
    if text.startswith("00"):
        text = "+" + text[2:]
    if text.startswith("+"):
        number = text
    elif country_code is None or not _DIGITS.match(text):
        return None
    else:
        if country_code == "1" and len(text) == 11 and text.startswith("1"):
            text = text[1:]
        number = f"+{country_code}{text.removeprefix('0')}"
    try:
        return check.phone(number)
    except ValidationError:
        return None


def _telecom(
    resource: dict[str, Any], where: str, country_code: str | None
) -> tuple[str | None, str | None]:
    items = [
        (i, t)
        for i, t in enumerate(_list(resource, "telecom", where))
        if isinstance(t, dict) and t.get("use") != "old" and not _ended(t)
    ]
    email = phone = None
    for i in _ranked([p for p in items if p[1].get("system") == "email"], _EMAIL_USE_ORDER):
        value = resource["telecom"][i].get("value")
        if isinstance(value, str):
            try:
                email = check.email(value.strip())
                break
            except ValidationError:
                continue  # not an address the API takes: the next one, if any
    for i in _ranked(
        [p for p in items if p[1].get("system") in ("phone", "sms")], _PHONE_USE_ORDER
    ):
        value = resource["telecom"][i].get("value")
        if isinstance(value, str):
            phone = e164(value, country_code)
            if phone is not None:
                break
    return email, phone


def _birth_date(resource: dict[str, Any], where: str) -> dt.date | None:
    value = resource.get("birthDate")
    if value is None or (isinstance(value, str) and _PARTIAL_DATE.match(value)):
        return None  # a year or year-month only: not given (the API takes a full date)
    if isinstance(value, str) and _FULL_DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationError(f"{where}.birthDate", "is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD)")


def _gender(resource: dict[str, Any], where: str) -> str | None:
    value = resource.get("gender")
    if value is None:
        return None
    if value not in _GENDERS:
        raise ValidationError(f"{where}.gender", "is not male, female, other or unknown")
    return str(value)


def _language(resource: dict[str, Any], where: str) -> str | None:
    comms = [
        (i, c) for i, c in enumerate(_list(resource, "communication", where)) if isinstance(c, dict)
    ]
    comms.sort(key=lambda p: (p[1].get("preferred") is not True, p[0]))
    for _, comm in comms:
        for coding in _codings(comm.get("language")):
            code = coding.get("code")
            if isinstance(code, str):
                primary = code.strip().split("-")[0].lower()
                if _LANGUAGE.match(primary):
                    return primary
    return None


def inactive_reason(resource: dict[str, Any], options: FhirOptions) -> tuple[str, str] | None:
    """``(error, message)`` when the patient is not synced: inactive or deceased."""
    where = _where(resource)
    if resource.get("active") is False and not options.include_inactive:
        return "InactivePatient", f"{where}.active: false (not synced; see include_inactive)"
    deceased = resource.get("deceasedBoolean") is True or isinstance(
        resource.get("deceasedDateTime"), str
    )
    if deceased and not options.include_deceased:
        return (
            "DeceasedPatient",
            f"{where}.deceased[x]: deceased (not synced; see include_deceased)",
        )
    return None


def patient_fields(resource: dict[str, Any], options: FhirOptions) -> dict[str, Any]:
    """The record's fields from a Patient (no conditions); ``ValidationError`` names the path."""
    where = _where(resource)
    first, last = _names(resource, where)
    email, phone = _telecom(resource, where, options.phone_country_code)
    return {
        "external_id": external_id(resource, options),
        "first_name": first,
        "last_name": last,
        "email": email,
        "phone": phone,
        "birth_date": _birth_date(resource, where),
        "gender": _gender(resource, where),
        "language": _language(resource, where),
    }
