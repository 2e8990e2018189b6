from typing import Final


class BodySiteCode:
    """Known body sites, camelCase, for documentation and autocompletion: requests take any string
    and the server decides. Assumption: this list.

    Constants for autocompletion, not a closed list: fields take any string.
    """

    __slots__ = ()

    ARMLEFT: Final = "armLeft"
    ARMRIGHT: Final = "armRight"
    FOOTLEFT: Final = "footLeft"
    FOOTRIGHT: Final = "footRight"
    GENITAL: Final = "genital"
    HANDLEFT: Final = "handLeft"
    HANDRIGHT: Final = "handRight"
    HEADBACK: Final = "headBack"
    HEADFRONT: Final = "headFront"
    LEGLEFT: Final = "legLeft"
    LEGRIGHT: Final = "legRight"
    NAILS: Final = "nails"
    SCALP: Final = "scalp"
    TRUNKBACK: Final = "trunkBack"
    TRUNKFRONT: Final = "trunkFront"

    KNOWN: Final = frozenset(
        {
            "armLeft",
            "armRight",
            "footLeft",
            "footRight",
            "genital",
            "handLeft",
            "handRight",
            "headBack",
            "headFront",
            "legLeft",
            "legRight",
            "nails",
            "scalp",
            "trunkBack",
            "trunkFront",
        }
    )
    """Every known value."""
