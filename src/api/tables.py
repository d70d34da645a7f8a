"""Every table of the service, registered on `SQLModel.metadata` by importing the modules that declare them.

The migrations' environment, the app and the tests import this one module, so a table declared next to the code
that uses it (sent messages, check-in marks, memberships, cache revisions) is never missing from any of them.
"""

from __future__ import annotations

from api import (
    checkin_marks,  # checkin_mark: docs/departure-day.md
    export_cache,  # cache_revision: docs/deployment.md
    memberships,  # operation_member: docs/security.md
    models,  # the core tables
    sent_messages,  # sent_message: docs/airline.md
)

#: The modules whose import registers the tables (kept in a name so that the imports are plainly used).
TABLE_MODULES = (checkin_marks, export_cache, memberships, models, sent_messages)
