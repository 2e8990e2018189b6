"""legithealth-async: the async Python client for the Legit.Health integration API.

::

    from legithealth_async import LegitHealth

    async with LegitHealth(api_token="...") as lh:
        patient = await lh.patients.create(external_id="a449666c710c", email="ada@example.org")
"""

from ._logs import log_from_environment as _log_from_environment
from ._retry import RetryPolicy
from ._session import RawResponse
from ._version import __version__ as __version__
from .client import LegitHealth, LegitHealthView
from .errors import (
    ActiveEpisodeExistsError,
    AmbiguousOutcomeError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConfigurationError,
    ConflictError,
    InternalServerError,
    LegitHealthError,
    MissingArgumentError,
    NotFoundError,
    PatientAlreadyExistsError,
    PermissionDeniedError,
    PractitionerAlreadyExistsError,
    RateLimitError,
    UnexpectedResponseError,
    UnknownKeywordError,
    UnprocessableEntityError,
    ValidationError,
)
from .flows import EpisodeMatchReport, HrmEpisode, match_episodes
from .models import (
    AuthToken,
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
    login_link,
)
from .pagination import Lookup

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "ActiveEpisodeExistsError",
    "AmbiguousOutcomeError",
    "AuthToken",
    "AuthenticationError",
    "BadRequestError",
    "BodySiteCode",
    "ClientClosedError",
    "Condition",
    "ConditionInput",
    "ConfigurationError",
    "ConflictError",
    "Encounter",
    "EncounterStatus",
    "EpisodeMatchReport",
    "EpisodeOfCare",
    "EpisodeOfCareStatus",
    "Frequency",
    "FrequencyUnit",
    "Gender",
    "HrmEpisode",
    "InternalServerError",
    "LegitHealth",
    "LegitHealthError",
    "LegitHealthView",
    "Lookup",
    "MissingArgumentError",
    "NotFoundError",
    "PathologyCode",
    "Patient",
    "PatientAlreadyExistsError",
    "PermissionDeniedError",
    "Practitioner",
    "PractitionerAlreadyExistsError",
    "RateLimitError",
    "RawResponse",
    "RetryPolicy",
    "Specialty",
    "UnexpectedResponseError",
    "UnknownKeywordError",
    "UnprocessableEntityError",
    "ValidationError",
    "login_link",
    "match_episodes",
]

# Bulk sync (legithealth_async.sync): records, readers, the engine and its journal.
from .sync import (
    BadRecord,
    FailureReason,
    Journal,
    JournalEntry,
    JournalMismatchError,
    Outcome,
    PatientRecord,
    SyncOutcome,
    SyncSummary,
    aiter_records,
    iter_records,
    sync_patients,
)

__all__ += [
    "BadRecord",
    "FailureReason",
    "Journal",
    "JournalEntry",
    "JournalMismatchError",
    "Outcome",
    "PatientRecord",
    "SyncOutcome",
    "SyncSummary",
    "aiter_records",
    "iter_records",
    "sync_patients",
]

_log_from_environment()  # LEGITHEALTH_LOG=info|debug
