"""The one exception the store raises for problems a user can act on."""

from __future__ import annotations


class StoreError(Exception):
    """The database cannot be opened or used; the message says which file and why."""
