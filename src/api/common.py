"""Names the web pages still import from here; each lives in a module of its own now."""

from __future__ import annotations

from api.lookups import get_in_operation, get_operation  # re-export: moved to api.lookups
from api.pagination import Paging  # re-export: moved to api.pagination
from api.params import Id  # re-export: moved to api.params

__all__ = ["Id", "Paging", "get_in_operation", "get_operation"]
