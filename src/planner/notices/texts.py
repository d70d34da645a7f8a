"""The words of notices and letters that are chosen by a code: reasons for not flying and what to bring.

Marked with `N_` so that `python -m planner.notices.catalogues` extracts them; translated when a page is
rendered. Plain and short on purpose: a person reads them on paper, often in a second language. Each reason
code of `planner.model.reasons` has one sentence here; `tests/notices/test_catalogues.py` fails when a code has
none (docs/notices.md#reason-letters).
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated later, at rendering."""
    return message


#: One sentence per reason code, as a person would be told it.
REASONS: dict[str, str] = {
    "gate.consent": N_("We have no record that you agreed, freely and informed, to return."),
    "gate.document": N_("You have no travel document that is valid on the day of the flight."),
    "gate.document_pending": N_("Your travel document has been requested but is not ready yet."),
    "gate.exit_clearance": N_("The authorities of this country have not yet allowed you to leave."),
    "gate.fitness": N_("A doctor has not yet confirmed that you are fit to fly."),
    "gate.uasc": N_("A child travelling without parents needs a decision and a contact at home first."),
    "gate.isolation": N_("You must stay in isolation after a positive test."),
    "household.held_back": N_("A member of your family cannot travel yet, and your family travels together."),
    "flight.no_destination": N_("There is no flight to your destination at this time."),
    "test.no_valid_slot": N_("No test appointment fits the time before this flight."),
    "capacity.seats": N_("There are no seats left on this flight."),
    "capacity.lab": N_("The testing centre has no free appointments before this flight."),
    "capacity.escorts": N_("There are not enough staff to travel with the passengers on this flight."),
    "capacity.special_categories": N_("This flight cannot take more passengers who need special help."),
    "capacity.infants": N_("There is no place on this flight for another baby on a parent's lap."),
    "capacity.payload": N_("The aircraft cannot carry more weight on this flight."),
    "transfer.none": N_("There is no transport to the airport in time for this flight."),
    "seating.no_fit": N_("We could not find seats for your family together on this flight."),
    "pin.conflict": N_("A place that staff reserved for you breaks a safety rule, so it could not be kept."),
    "variant.excluded": N_("Your case is not part of this planning round."),
}

#: One line per item of the protocol's `notices.bring` list (planner.model.notices.BringItem).
BRING: dict[str, str] = {
    "travel_document": N_("Your passport or travel document"),
    "test_certificate": N_("Your test result, if you already have it"),
    "medication": N_("Your medicines for at least three days, in your hand luggage"),
    "medical_papers": N_("Your medical papers and prescriptions"),
    "child_documents": N_("Your children's documents and birth certificates"),
    "warm_clothes": N_("Warm clothes"),
    "phone_charged": N_("A charged phone"),
    "no_sharp_objects": N_("No knives or sharp objects in your hand luggage"),
}
