from typing import Final


class PathologyCode:
    """Known ICD-11 codes of pathologies, for documentation and autocompletion: requests take any
    ICD-11 code (see ConditionInput.pathologyCode). Assumption: this subset of dermatology
    codes; the full list is in the real Swagger.

    Constants for autocompletion, not a closed list: fields take any string.
    """

    __slots__ = ()

    EA80: Final = "EA80"
    EA90: Final = "EA90"
    ED63_0: Final = "ED63.0"
    ED80: Final = "ED80"
    ED92_0: Final = "ED92.0"
    CODE_2C30: Final = "2C30"
    CODE_2C31: Final = "2C31"
    CODE_2C32: Final = "2C32"

    KNOWN: Final = frozenset(
        {
            "EA80",
            "EA90",
            "ED63.0",
            "ED80",
            "ED92.0",
            "2C30",
            "2C31",
            "2C32",
        }
    )
    """Every known value."""
