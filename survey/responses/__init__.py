"""Reading what the platforms give back: one reader per platform, one validation.

See :mod:`survey.responses.model` for :class:`ResponseSet` and :class:`ImportLog`.
"""

from survey.responses.model import ImportLog, LogRecord, RawResponses, ResponseSet

__all__ = ["ImportLog", "LogRecord", "RawResponses", "ResponseSet"]
