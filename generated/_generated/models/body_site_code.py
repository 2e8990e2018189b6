from enum import StrEnum


class BodySiteCode(StrEnum):
    ARMLEFT = "armLeft"
    ARMRIGHT = "armRight"
    FOOTLEFT = "footLeft"
    FOOTRIGHT = "footRight"
    GENITAL = "genital"
    HANDLEFT = "handLeft"
    HANDRIGHT = "handRight"
    HEADBACK = "headBack"
    HEADFRONT = "headFront"
    LEGLEFT = "legLeft"
    LEGRIGHT = "legRight"
    NAILS = "nails"
    SCALP = "scalp"
    TRUNKBACK = "trunkBack"
    TRUNKFRONT = "trunkFront"

    def __str__(self) -> str:
        return str(self.value)
