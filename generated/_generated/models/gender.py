from typing import Final


class Gender:
    """Known genders, for documentation and autocompletion: requests take any string and the server
    decides. Assumption: these values.

    Constants for autocompletion, not a closed list: fields take any string.
    """

    __slots__ = ()

    FEMALE: Final = "female"
    MALE: Final = "male"
    OTHER: Final = "other"
    UNKNOWN: Final = "unknown"

    KNOWN: Final = frozenset(
        {
            "female",
            "male",
            "other",
            "unknown",
        }
    )
    """Every known value."""
