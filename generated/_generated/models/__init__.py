"""Contains all the data models used in inputs/outputs"""

from .auth_token import AuthToken
from .body_site_code import BodySiteCode
from .condition import Condition
from .condition_input import ConditionInput
from .encounter import Encounter
from .encounter_create import EncounterCreate
from .encounter_status import EncounterStatus
from .episode_of_care import EpisodeOfCare
from .episode_of_care_create import EpisodeOfCareCreate
from .episode_of_care_patch import EpisodeOfCarePatch
from .episode_of_care_status import EpisodeOfCareStatus
from .error import Error
from .frequency import Frequency
from .frequency_unit import FrequencyUnit
from .gender import Gender
from .pathology_code import PathologyCode
from .patient import Patient
from .patient_auth_tokens_request import PatientAuthTokensRequest
from .patient_create import PatientCreate
from .patient_patch import PatientPatch
from .practitioner import Practitioner
from .practitioner_auth_tokens_request import PractitionerAuthTokensRequest
from .practitioner_create import PractitionerCreate
from .specialty import Specialty

__all__ = (
    "AuthToken",
    "BodySiteCode",
    "Condition",
    "ConditionInput",
    "Encounter",
    "EncounterCreate",
    "EncounterStatus",
    "EpisodeOfCare",
    "EpisodeOfCareCreate",
    "EpisodeOfCarePatch",
    "EpisodeOfCareStatus",
    "Error",
    "Frequency",
    "FrequencyUnit",
    "Gender",
    "PathologyCode",
    "Patient",
    "PatientAuthTokensRequest",
    "PatientCreate",
    "PatientPatch",
    "Practitioner",
    "PractitionerAuthTokensRequest",
    "PractitionerCreate",
    "Specialty",
)
