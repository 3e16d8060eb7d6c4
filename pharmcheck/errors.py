"""The exceptions pharmcheck raises when the tool itself cannot do its job.

A drug that cannot be resolved is *not* an error: it is reported as an
:class:`~pharmcheck.domain.Unrecognized` value. These exceptions are for bad
input documents, bad options and knowledge-base failures; the CLI turns each
into one line on stderr and exit code 2.
"""


class PharmcheckError(Exception):
    """Base class: the tool could not complete the request."""


class InputError(PharmcheckError):
    """The medication list, patient or table given to pharmcheck is unusable."""


class KnowledgeBaseError(PharmcheckError):
    """The knowledge base is missing, corrupt, stale or at the wrong schema revision."""


class SchemaRevisionError(KnowledgeBaseError):
    """The knowledge base is at a schema revision other than the code's head."""
