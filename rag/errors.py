"""The few errors a user can cause; each message says how to fix it."""


class RagError(Exception):
    """Base class: the CLI and the web chat show these as plain messages."""


class ModelError(RagError):
    """The embedding model cannot be found, built or loaded."""


class CorpusError(RagError):
    """The corpus directory is missing, empty or unreadable."""


class IndexNotReady(RagError):
    """The index is missing, damaged or out of date."""


class QuestionError(RagError):
    """The question cannot be answered as asked (e.g. it is empty)."""


class DocumentNotFound(CorpusError):
    """No document of that name in the corpus (or the store)."""


class BusyError(RagError):
    """Too much is waiting already (changes queued to be built): try again later."""
