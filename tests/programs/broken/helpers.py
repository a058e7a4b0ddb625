"""Fixture helper whose function fails."""


def subnet_count(azs: int) -> int:
    if azs < 1:
        raise ValueError(f"need at least one AZ, got {azs}")  # the failing line
    return azs
