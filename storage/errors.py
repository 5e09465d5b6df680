"""The one base class of store problems an operator has to act on (a damaged ledger, a lock held
too long, a corrupt benchmark or release file, a full disk): the CLI prints them in one line."""


class StoreError(Exception):
    """A problem with the data root that is not a bug of helix: reported in one line."""
