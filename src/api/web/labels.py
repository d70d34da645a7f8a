"""Words for field names, codes and reasons, marked for translation (the pages never show a raw field name)."""

from __future__ import annotations

from api.web.i18n import N_

#: Every field of a person, in the order of the person page, grouped in sections.
PERSON_SECTIONS: list[tuple[str, list[tuple[str, str]]]] = [
    (N_("Identity"), [
        ("case_id", N_("Case number")),
        ("household_id", N_("Household")),
        ("given_name", N_("Given name")),
        ("family_name", N_("Family name")),
        ("name_native", N_("Name in native script")),
        ("sex", N_("Sex")),
        ("date_of_birth", N_("Date of birth")),
        ("nationality", N_("Nationality (country code)")),
        ("country_of_birth", N_("Country of birth (country code)")),
        ("place_of_birth", N_("Place of birth")),
        ("registered_on", N_("Registered on")),
    ]),
    (N_("Return"), [
        ("destination", N_("Destination airport")),
        ("location", N_("Current location")),
        ("testing_site", N_("Required testing site")),
        ("consent", N_("Consent to return")),
        ("consent_date", N_("Consent given on")),
        ("consent_note", N_("Consent note (proxy justification)")),
        ("exit_cleared", N_("Exit clearance granted")),
        ("return_governorate", N_("Governorate of return")),
        ("return_district", N_("District of return")),
        ("receiving_facility", N_("Receiving medical facility")),
        ("referral", N_("Referral to a reception partner")),
        ("referral_partner", N_("Partner the person is referred to")),
        ("onward_transport", N_("Onward transport from the arrival airport")),
    ]),
    (N_("Travel document"), [
        ("document_type", N_("Document type")),
        ("document_number", N_("Document number")),
        ("document_expiry", N_("Document valid until")),
        ("document_issuing_state", N_("Document issued by (country code)")),
        ("document_status", N_("Document status")),
        ("document_authority", N_("Issuing authority of a requested document")),
        ("document_requested_on", N_("Document requested on")),
        ("document_issued_on", N_("Document issued on")),
    ]),
    (N_("Health and care"), [
        ("fitness", N_("Fitness to travel")),
        ("mobility", N_("Mobility assistance")),
        ("pregnant", N_("Pregnant")),
        ("evacuation_capable", N_("Can evacuate the aircraft unaided")),
        ("vaccinated", N_("Vaccinated against COVID-19")),
        ("last_positive_test", N_("Last positive test on")),
        ("last_test_sample", N_("Last sample taken at")),
        ("last_test_result", N_("Last test result")),
        ("symptom_onset", N_("Symptoms since")),
        ("symptom_free_since", N_("Without symptoms since")),
    ]),
    (N_("Child protection"), [
        ("unaccompanied_minor", N_("Unaccompanied or separated child")),
        ("best_interests_approved", N_("Best-interests decision approves return")),
        ("reception_contact", N_("Reception contact at destination")),
    ]),
    (N_("Vulnerabilities and notes"), [
        ("vulnerabilities", N_("Vulnerabilities")),
        ("notes", N_("Notes")),
    ]),
]

FIELD_LABELS: dict[str, str] = {name: label for _, fields in PERSON_SECTIONS for name, label in fields}

#: Words for the values of the closed lists (the stored code stays the form value).
CHOICES: dict[str, list[tuple[str, str]]] = {
    "sex": [("F", N_("female")), ("M", N_("male")), ("X", N_("other or not stated"))],
    "consent": [("explicit", N_("given by the person")), ("proxy", N_("given by a guardian (proxy)")),
                ("none", N_("not given or withdrawn"))],
    "document_type": [("passport", N_("passport")), ("etd", N_("emergency travel document")),
                      ("none", N_("no document"))],
    "fitness": [("fit", N_("fit")), ("fit_with_escort", N_("fit with a medical escort")), ("unfit", N_("unfit")),
                ("pending", N_("not yet checked"))],
    "mobility": [("none", N_("none")), ("WCHR", N_("wheelchair to the aircraft door (WCHR)")),
                 ("WCHS", N_("wheelchair, cannot use steps (WCHS)")),
                 ("WCHC", N_("wheelchair to the seat (WCHC)")), ("WCHP", N_("reduced mobility in the legs (WCHP)")),
                 ("STCR", N_("stretcher (STCR)"))],
    "last_test_result": [("", N_("no result")), ("negative", N_("negative")), ("positive", N_("positive")),
                         ("pending", N_("awaiting result"))],
    "document_status": [("valid", N_("valid, in hand")), ("requested", N_("requested, not yet issued")),
                        ("issued", N_("issued")), ("refused", N_("refused")), ("none", N_("not requested"))],
    "referral": [("", N_("no referral")), ("protection", N_("protection")), ("reintegration", N_("reintegration")),
                 ("both", N_("protection and reintegration"))],
    "onward_transport": [("", N_("not stated")), ("own", N_("on their own")),
                         ("family_pickup", N_("picked up by family")), ("bus", N_("bus")),
                         ("accessible_vehicle", N_("accessible vehicle")), ("ambulance", N_("ambulance"))],
}

VULNERABILITIES: dict[str, str] = {
    "medical": N_("medical condition"),
    "disability": N_("disability"),
    "trafficking": N_("survivor of trafficking"),
    "torture": N_("survivor of torture"),
    "border_exposure": N_("exposed at the border"),
    "elderly": N_("older person"),
    "pregnant": N_("pregnant"),
    "uasc": N_("unaccompanied or separated child"),
    "single_parent": N_("single parent"),
    "infant": N_("infant under two"),
}

#: Reason codes of the planner's registry (docs/service.md), as a short heading; the planner's own message
#: follows with the details.
REASONS: dict[str, str] = {
    "gate.consent": N_("No consent to return"),
    "gate.document": N_("No valid travel document"),
    "gate.document_pending": N_("Travel document not in hand in time"),
    "gate.exit_clearance": N_("No exit clearance"),
    "gate.fitness": N_("Not fit to travel"),
    "gate.uasc": N_("Child protection decision missing"),
    "gate.isolation": N_("In isolation after a positive test"),
    "household.held_back": N_("Household member cannot travel"),
    "flight.no_destination": N_("No flight to the destination"),
    "test.no_valid_slot": N_("No testing slot in time"),
    "capacity.seats": N_("No seats left"),
    "capacity.lab": N_("Testing or lab capacity full"),
    "capacity.escorts": N_("Not enough escorts"),
    "capacity.special_categories": N_("Too many special-category passengers"),
    "capacity.infants": N_("No place for a lap infant"),
    "capacity.payload": N_("Payload limit of the aircraft reached"),
    "seating.no_fit": N_("Seating could not place the household"),
    "pin.conflict": N_("Pinned assignment breaks a rule"),
    "variant.excluded": N_("Excluded by the what-if variant"),
}

ROLES: dict[str, str] = {"viewer": N_("viewer"), "officer": N_("officer"), "coordinator": N_("coordinator"),
                         "admin": N_("administrator")}

#: Audit actions in words.
ACTIONS: dict[str, str] = {
    "read": N_("read"), "create": N_("created"), "update": N_("changed"), "delete": N_("deleted"),
    "import": N_("imported"), "erase": N_("erased"), "export": N_("exported"), "publish": N_("published"),
    "solve": N_("solve started"), "stop": N_("solve stopped"), "login": N_("signed in"),
    "login_failed": N_("failed sign-in"), "logout": N_("signed out"), "revoke": N_("revoked"),
    "events": N_("events applied"),
}


def choice_label(field: str, value: object) -> str:
    """The untranslated words for a stored code (templates translate them)."""
    for code, label in CHOICES.get(field, []):
        if code == (value or ""):
            return label
    return str(value) if value not in (None, "") else "—"

#: Yes/no facts of a person that are needs on board (flight page, seat map).
FLAGS: dict[str, str] = {"pregnant": N_("pregnant"), "unaccompanied_minor": N_("unaccompanied or separated child")}

#: A solve job's state in words.
JOB_STATUS: dict[str, str] = {
    "queued": N_("waiting for a free solver"), "running": N_("running"), "succeeded": N_("finished"),
    "stopped": N_("stopped; best plan kept"), "failed": N_("failed"), "cancelled": N_("cancelled before it started"),
    "interrupted": N_("interrupted by a restart of the service"),
}

#: The solver's stages (planner progress reports) in words.
STAGES: dict[str, str] = {
    "loading": N_("reading the operation"), "problem": N_("checking who may travel"),
    "allocation": N_("choosing who flies on which flight"), "tests": N_("booking test slots"),
    "seating": N_("seating passengers"), "validate": N_("checking the plan"), "storing": N_("storing the plan"),
    "done": N_("done"),
}

#: How a stored plan was found by the solver.
SOLVER_STATUS: dict[str, str] = {
    "optimal": N_("best possible plan (proven)"), "feasible": N_("good plan, not proven best"),
    "stopped": N_("stopped early; best plan found so far"), "greedy": N_("first plan by priority only"),
}

#: Kinds of a person's change between two plans (`api.routers.plans.compare_plans`).
CHANGE_KINDS: dict[str, str] = {
    "added": N_("added to a flight"), "dropped": N_("taken off a flight"),
    "moved_flight": N_("moved to another flight"),
    "moved_seat": N_("moved to another seat"), "retest": N_("needs a new test"),
}

#: Event types of an events file (`planner.whatif.events`), as the re-planning forms name them.
EVENTS: dict[str, str] = {
    "positive_test": N_("Positive test"), "consent_withdrawn": N_("Consent withdrawn"),
    "no_show": N_("Did not come to check-in"), "document_expired": N_("Travel document expired"),
    "flight_delayed": N_("Flight delayed"), "flight_cancelled": N_("Flight cancelled"),
    "aircraft_changed": N_("Aircraft changed"), "lab_slots_cancelled": N_("Lab slots cancelled"),
    "new_registrations": N_("New registrations"),
}
