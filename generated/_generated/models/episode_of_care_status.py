from typing import Final


class EpisodeOfCareStatus:
    """Known statuses of an episode of care. Assumption: answers carry an open string; these are
    the known values.

    Constants for autocompletion, not a closed list: fields take any string.
    """

    __slots__ = ()

    ACTIVE: Final = "active"
    FINISHED: Final = "finished"

    KNOWN: Final = frozenset(
        {
            "active",
            "finished",
        }
    )
    """Every known value."""
