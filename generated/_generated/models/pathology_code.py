from enum import StrEnum


class PathologyCode(StrEnum):
    EA80 = "EA80"
    EA90 = "EA90"
    ED63_0 = "ED63.0"
    ED80 = "ED80"
    ED92_0 = "ED92.0"
    VALUE_2 = "2C30"
    VALUE_3 = "2C31"
    VALUE_4 = "2C32"

    def __str__(self) -> str:
        return str(self.value)
