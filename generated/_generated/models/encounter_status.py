from typing import Final


class EncounterStatus:
    """Known statuses of an encounter. Assumption: answers carry an open string; these are the
    known values.

    Constants for autocompletion, not a closed list: fields take any string.
    """

    __slots__ = ()

    CANCELLED: Final = "cancelled"
    COMPLETED: Final = "completed"
    READY: Final = "ready"
    SCHEDULED: Final = "scheduled"

    KNOWN: Final = frozenset(
        {
            "cancelled",
            "completed",
            "ready",
            "scheduled",
        }
    )
    """Every known value."""
