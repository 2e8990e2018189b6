from enum import StrEnum


class EncounterStatus(StrEnum):
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    READY = "ready"
    SCHEDULED = "scheduled"

    def __str__(self) -> str:
        return str(self.value)
