"""Problems an operator has to act on, not bugs of helix: the CLI prints them in one line."""


class OperatorError(Exception):
    """Reported in one line (`helix: error: ...`, exit 1), never as a traceback."""


class StoreError(OperatorError):
    """A problem with the data root: a damaged ledger, a lock held too long, a corrupt benchmark
    or release file."""
