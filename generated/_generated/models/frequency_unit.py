from typing import Final


class FrequencyUnit:
    """Known units of a tracking frequency, for documentation and autocompletion: requests take any
    string and the server decides. Assumption: these units.

    Constants for autocompletion, not a closed list: fields take any string.
    """

    __slots__ = ()

    DAY: Final = "day"
    MONTH: Final = "month"
    WEEK: Final = "week"

    KNOWN: Final = frozenset(
        {
            "day",
            "month",
            "week",
        }
    )
    """Every known value."""
