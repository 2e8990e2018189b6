"""One class per tag of the contract; every method goes through the one request path."""

from .encounters import Encounters
from .episodes_of_care import EpisodesOfCare
from .patients import Patients
from .practitioners import Practitioners

__all__ = ["Encounters", "EpisodesOfCare", "Patients", "Practitioners"]
