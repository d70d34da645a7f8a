"""Travel documents beyond "has one or not": a document's status and the authorities that issue them.

Rules that use these fields live in `planner.rules.gates` (docs/rules.md); this module only declares the data.
"""

from __future__ import annotations

from planner.model.fields import Model


class PersonDocument(Model):
    """The people file's columns about the state of a person's travel document."""


class DocumentSources(Model):
    """The scenario's issuing authorities (embassies, consulates) and their lead times."""
