"""Release of a symptomatic case (docs/health-checks.md#symptomatic-cases).

WHO's 2020 criteria release a symptomatic patient from isolation 10 days after symptom onset plus at least 3 more
days without symptoms [S63][S64] (docs/rules.md#isolation-after-a-positive-test): both must hold. A person with a
`symptom_onset` is released on the later of onset + `symptomatic_release_days` and `symptom_free_since` +
`symptom_free_days`; while `symptom_free_since` is empty they still have symptoms and are not released at all.
The release extends the isolation of `planner.rules.gates.isolation_end`, so the gate (`gate.isolation`, its
validator check `gates`, the explanations) and the first day a new sample may be taken follow it.

Parameters: `protocol.symptomatic_release_days` *(10)*, `protocol.symptom_free_days` *(3)*. Reason code:
`gate.isolation` (the detail says the case is symptomatic). Violation id: `gates`.
"""

from __future__ import annotations

from datetime import date, timedelta

from planner.model.fields import LAST_YEAR
from planner.model.scenario import Person, Scenario

#: The release date of a person who still has symptoms: later than any flight, so every gate on it fails.
STILL_SYMPTOMATIC = date(LAST_YEAR, 12, 31)


def symptomatic_release(p: Person, scenario: Scenario) -> date | None:
    """The first date a symptomatic case may fly, `STILL_SYMPTOMATIC` while they have symptoms, or None for a
    person with no symptom record."""
    if p.symptom_onset is None:
        return None
    if p.symptom_free_since is None:
        return STILL_SYMPTOMATIC
    protocol = scenario.protocol
    return max(p.symptom_onset + timedelta(days=protocol.symptomatic_release_days),
               p.symptom_free_since + timedelta(days=protocol.symptom_free_days))


def release_words(p: Person, end: date, scenario: Scenario) -> str:
    """The isolation end in words, saying when it is the symptomatic rule that holds the person."""
    release = symptomatic_release(p, scenario)
    if release is None or release < end:
        return str(end)
    protocol = scenario.protocol
    if release == STILL_SYMPTOMATIC:
        return (f"{protocol.symptom_free_days} days without symptoms (symptomatic since {p.symptom_onset}, "
                "symptoms not yet ended)")
    return (f"{end} (symptomatic: {protocol.symptomatic_release_days} days after onset {p.symptom_onset} and "
            f"{protocol.symptom_free_days} days without symptoms)")
