"""Cross-field and cross-file checks of a scenario that a single row or key cannot see: ids, timezones, airports,
slots inside the testing sites' hours, aircraft and seats, stop times, and the people file's cross-row rules
(docs/input.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from planner.io.airports import airport
from planner.io.excerpt import excerpt
from planner.io.input_errors import InputIssue
from planner.io.partial_validation import Broken
from planner.model.scenario import Flight, Scenario, local_date

Add = Callable[[InputIssue], None]


def check_scenario(scenario: Scenario, yname: str = "scenario.yaml", pname: str = "people.csv",
                   rows: Mapping[str, int] | Sequence[int | None] | None = None,
                   broken: Broken | None = None) -> list[InputIssue]:
    """Cross-field and cross-file checks that a single row or key cannot see.

    `rows` gives the people file rows: a list parallel to `scenario.people` (exact, even for a repeated
    case_id) or, for older callers, a mapping from case_id to row. `broken` names what partial loading left
    out, so checks that depend on it are skipped rather than reported twice.
    """
    broken = broken or Broken()
    issues: list[InputIssue] = []
    add = issues.append

    def tz_ok(name: str, where: str) -> bool:
        try:
            ZoneInfo(name)
            return True
        except (ZoneInfoNotFoundError, ValueError):
            add(InputIssue(yname, None, where, f"unknown timezone {name!r}"))
            return False

    scenario_tz = scenario.timezone if "timezone" not in broken.fields and tz_ok(scenario.timezone, "timezone") \
        else None
    for code in scenario.protocol.destinations:
        if airport(code) is None:
            add(InputIssue(yname, None, f"protocol.destinations.{code}", f"unknown airport code {code!r}"))
    site_ids = _check_sites(scenario, yname, scenario_tz, tz_ok, add)
    _check_escorts(scenario, yname, site_ids | broken.sites, add)
    _check_fleet(scenario, yname, broken, add)
    if "as_of" in broken.fields:
        today = None
    elif scenario_tz is not None:
        today = local_date(scenario.as_of, scenario_tz)
    else:
        today = scenario.as_of.date()  # the date as written in as_of, when the timezone is unknown
    _check_people(scenario, pname, rows, today, site_ids | broken.sites, add)
    return issues


def _check_sites(scenario: Scenario, yname: str, scenario_tz: str | None,
                 tz_ok: Callable[[str, str], bool], add: Add) -> set[str]:
    """Site ids, hours and explicit slots; slots are checked against the hours only in a valid timezone."""
    site_ids: set[str] = set()
    for i, site in enumerate(scenario.testing_sites):
        where = f"testing_sites[{i}]"
        if site.id in site_ids:
            add(InputIssue(yname, None, f"{where}.id", f"duplicate testing site id {site.id!r}"))
        site_ids.add(site.id)
        if site.timezone:
            zone_name = site.timezone if tz_ok(site.timezone, f"{where}.timezone") else None
        else:
            zone_name = scenario_tz
        if site.close <= site.open:
            add(InputIssue(yname, None, f"{where}.close", "closing time is not after opening time"))
        if site.days.to < site.days.from_:
            add(InputIssue(yname, None, f"{where}.days", "'to' is before 'from'"))
        site_tz = ZoneInfo(zone_name) if zone_name else None
        for j, slot in enumerate(site.slots or []):
            if slot.end <= slot.start:
                add(InputIssue(yname, None, f"{where}.slots[{j}]", "slot ends before it starts"))
                continue
            if site_tz is None:
                continue
            start, end = slot.start.astimezone(site_tz), slot.end.astimezone(site_tz)
            if not site.days.contains(start.date()) or start.time() < site.open or end.time() > site.close \
                    or end.date() != start.date():
                add(InputIssue(yname, None, f"{where}.slots[{j}]",
                               f"slot {start:%Y-%m-%d %H:%M}-{end:%H:%M} is outside the site's days or hours "
                               f"({site.days.from_}..{site.days.to}, {site.open:%H:%M}-{site.close:%H:%M})"))
    return site_ids


def _check_escorts(scenario: Scenario, yname: str, site_ids: set[str] | frozenset[str],
                   add: Add) -> None:
    """Escort ids are unique, availability runs forward, and an escort's testing site exists."""
    escort_ids: set[str] = set()
    for i, esc in enumerate(scenario.escorts):
        if esc.id in escort_ids:
            add(InputIssue(yname, None, f"escorts[{i}].id", f"duplicate escort id {esc.id!r}"))
        escort_ids.add(esc.id)
        if esc.available is not None and esc.available.to < esc.available.from_:
            add(InputIssue(yname, None, f"escorts[{i}].available", "'to' is before 'from'"))
        if esc.testing_site is not None and esc.testing_site not in site_ids:
            add(InputIssue(yname, None, f"escorts[{i}].testing_site", f"unknown testing site {esc.testing_site!r}"))


def _check_fleet(scenario: Scenario, yname: str, broken: Broken, add: Add) -> None:
    """Each scenario aircraft builds (a repeated type would be shadowed, so it is an error); each flight's
    aircraft, airports, blocked seats and stop times."""
    from planner.seating.seatmaps import SeatMapError, build_seat_map

    aircraft_types: set[str] = set()
    for i, ac in enumerate(scenario.aircraft):
        if ac.type in aircraft_types:
            add(InputIssue(yname, None, f"aircraft[{i}].type",
                           f"duplicate aircraft type {ac.type!r}; each type is defined once"))
        try:
            build_seat_map(ac)
        except SeatMapError as exc:
            for msg in exc.problems:
                add(InputIssue(yname, None, f"aircraft[{i}]", msg))
        aircraft_types.add(ac.type)
    flight_ids: set[str] = set()
    for i, fl in enumerate(scenario.flights):
        where = f"flights[{i}]"
        if fl.id in flight_ids:
            add(InputIssue(yname, None, f"{where}.id", f"duplicate flight id {fl.id!r}"))
        flight_ids.add(fl.id)
        if airport(fl.origin) is None:
            add(InputIssue(yname, None, f"{where}.origin", f"unknown airport code {fl.origin!r}"))
        _check_flight_aircraft(scenario, fl, where, yname, aircraft_types | broken.aircraft, add)
        _check_stops(fl, where, yname, add)


def _check_flight_aircraft(scenario: Scenario, fl: Flight, where: str, yname: str,
                           known: set[str] | frozenset[str], add: Add) -> None:
    """The flight's aircraft type exists (in the scenario or the library) and its blocked seats are on it."""
    from planner.seating.seatmaps import SeatMapError, check_flight_seats, resolve_aircraft

    if fl.aircraft not in known:
        try:
            resolve_aircraft(fl.aircraft, scenario)
        except SeatMapError:
            add(InputIssue(yname, None, f"{where}.aircraft",
                           f"unknown aircraft type {fl.aircraft!r} (not in the scenario nor the library)"))
    try:
        for msg in check_flight_seats(resolve_aircraft(fl.aircraft, scenario), fl):
            add(InputIssue(yname, None, f"{where}.blocked_seats", msg))
    except SeatMapError:
        pass  # reported above, as an unknown type or as the type's own errors


def _check_stops(fl: Flight, where: str, yname: str, add: Add) -> None:
    """Each stop's airport is known and it arrives after the departure (or the previous stop)."""
    previous = fl.departure
    for j, stop in enumerate(fl.stops):
        if airport(stop.airport) is None:
            add(InputIssue(yname, None, f"{where}.stops[{j}].airport", f"unknown airport code {stop.airport!r}"))
        if stop.arrival <= previous:
            add(InputIssue(yname, None, f"{where}.stops[{j}].arrival",
                           "arrives before it departs" if j == 0 else "arrives before the previous stop"))
        previous = stop.arrival


def _check_people(scenario: Scenario, pname: str, rows: Mapping[str, int] | Sequence[int | None] | None,
                  today: date | None, site_ids: set[str] | frozenset[str],
                  add: Add) -> None:
    """Cross-row checks: repeated case_ids, airports, birth dates (when `today` is known), one destination
    per household, testing sites. Proxy consent without a justification is not an input error: the consent
    gate refuses it (docs/rules.md#consent)."""
    seen: dict[str, int | None] = {}
    authority_ids = {a.id for a in scenario.protocol.document_authorities}
    household_dest: dict[str, tuple[str, str]] = {}
    for index, p in enumerate(scenario.people):
        if rows is None:
            row = None
        elif isinstance(rows, Mapping):
            row = rows.get(p.case_id)
        else:
            row = rows[index] if index < len(rows) else None
        if p.case_id in seen:
            first_row = seen[p.case_id]
            also = f" (also in row {first_row})" if first_row is not None else ""
            add(InputIssue(pname, row, "case_id", f"duplicate case_id {excerpt(p.case_id)}{also}"))
        else:
            seen[p.case_id] = row
        if airport(p.destination) is None:
            add(InputIssue(pname, row, "destination", f"unknown airport code {p.destination!r}"))
        if today is not None and p.date_of_birth > today:
            add(InputIssue(pname, row, "date_of_birth", f"birth date {p.date_of_birth} is after {today}"))
        first = household_dest.setdefault(p.household_id, (p.destination, p.case_id))
        if first[0] != p.destination:
            add(InputIssue(pname, row, "destination",
                           f"household {p.household_id} has members flying to {first[0]} ({first[1]}) "
                           f"and {p.destination}; a household travels together"))
        if p.testing_site is not None and p.testing_site not in site_ids:
            add(InputIssue(pname, row, "testing_site", f"unknown testing site {p.testing_site!r}"))
        if p.document_authority is not None and p.document_authority not in authority_ids:
            add(InputIssue(pname, row, "document_authority",
                           f"unknown issuing authority {excerpt(p.document_authority)} (not in the protocol's "
                           "document_authorities)"))
        if today is not None and p.document_requested_on is not None and p.document_requested_on > today:
            add(InputIssue(pname, row, "document_requested_on",
                           f"request date {p.document_requested_on} is after {today}"))
