"""Why an offline preview could not complete. Each maps to exit code 2."""

from __future__ import annotations

from plinth.errors import UserError


class PreviewError(UserError):
    """The preview failed for a reason the user must fix; `lines` say what and where."""


class ProjectError(PreviewError):
    """The project, stack or a file given on the command line cannot be used."""


class ProgramError(PreviewError):
    """The program raised an exception; `location` is the file and line in the program."""

    def __init__(self, location: str, message: str, traceback_text: str) -> None:
        self.location = location
        self.traceback_text = traceback_text
        super().__init__(f"program error at {location}", [message])


class EngineRejection(PreviewError):
    """The program did something the real engine refuses but the mock runtime allows."""
