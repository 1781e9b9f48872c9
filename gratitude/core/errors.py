"""Errors that services raise for the caller to show as a clear message (form error, 4xx, CLI line)."""


class GratitudeError(Exception):
    """A rule of the domain was not met; the message is safe to show to the person who asked."""


class NotEnoughWanted(GratitudeError):
    """Fewer units of an item are still wanted than the giver asked for."""


class PermissionDenied(GratitudeError):
    """The person asking may not do this to this object."""
