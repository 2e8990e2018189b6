"""The models users pass and get back: generated from the spec, frozen, keyword-only, safe to print.

Each class is generated from ``openapi/legit-health.yaml`` plus our marks in
``openapi/legit-health.overlay.yaml`` by the templates in ``openapi/templates``
(``make generate``): a new field in the spec is a typed attribute here with no hand edit. Answers
are parsed in one strict pass (``from_dict``); fields the spec does not know are kept, read-only,
in ``model_extra``. Patient data is hidden by default: ``repr`` shows only the fields the overlay
marks ``x-shown`` (known not to be patient data: ids the API assigns, codes, statuses, flags, the
API's own timestamps). Names, email, phone, birth date, gender, language, external ids, tokens,
``model_extra`` and any field nobody classified yet (a vendor's new one) are left out, so logging
or printing a model never leaks patient data.

Codes are open strings: ``PathologyCode``, ``BodySiteCode``, ``FrequencyUnit``, ``Gender``,
``EpisodeOfCareStatus`` and ``EncounterStatus`` hold the known values as constants (for
autocompletion), but a value outside them is sent as given, and the server decides.
"""

from __future__ import annotations

from urllib.parse import urlencode

from ._constants import LOGIN_LINK_BASE
from ._generated.models import AuthToken as _AuthToken
from ._generated.models import (
    BodySiteCode,
    Condition,
    ConditionInput,
    Encounter,
    EncounterStatus,
    EpisodeOfCare,
    EpisodeOfCareStatus,
    Frequency,
    FrequencyUnit,
    Gender,
    PathologyCode,
    Patient,
    Practitioner,
    Specialty,
)

__all__ = [
    "AuthToken",
    "BodySiteCode",
    "Condition",
    "ConditionInput",
    "Encounter",
    "EncounterStatus",
    "EpisodeOfCare",
    "EpisodeOfCareStatus",
    "Frequency",
    "FrequencyUnit",
    "Gender",
    "PathologyCode",
    "Patient",
    "Practitioner",
    "Specialty",
    "login_link",
]


class AuthToken(_AuthToken):
    """Login tokens for one patient or practitioner (hidden from ``repr``)."""

    __slots__ = ()

    @property
    def login_link(self) -> str:
        """The documented login link, with both tokens URL-encoded."""
        return login_link(self.token, self.refresh_token)


def login_link(token: str, refresh_token: str) -> str:
    """``https://app.legit.health/u/home?token=…&refresh_token=…``, each value percent-encoded.

    A token containing ``&``, ``=`` or ``#`` cannot add or cut a parameter.
    """
    query = urlencode({"token": token, "refresh_token": refresh_token}, safe="")
    return f"{LOGIN_LINK_BASE}?{query}"


# The public models are shown (repr of the class, pickling, docs) under this module's name, where
# users import them from, rather than the private module they are generated in.
for _name in __all__:
    _public = globals()[_name]
    if isinstance(_public, type):
        _public.__module__ = __name__
