"""The 2021–22 Belarus–Iraq operation every synthetic scenario is shaped like: Minsk departures, block times,
the places people were housed, their destinations and the 2021 Iraqi test rules
(docs/scenarios.md#public-facts-and-synthetic-figures). What is a guess rather than a public figure says so.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from planner.model.scenario import DestinationRule

MINSK = "Europe/Minsk"
DEFAULT_AS_OF = datetime(2021, 11, 28, 18, 0, tzinfo=timezone(timedelta(hours=3)))
ORIGIN = "MSQ"

#: Scheduled block times from Minsk (minutes), and extra minutes from the first stop to a second one
#: (one hour on the ground plus the hop). MSQ–EBL about 4 h 10 min, MSQ–BGW about 4 h 30 min.
BLOCK_MINUTES = {"EBL": 250, "BGW": 270, "ISU": 260}
ONWARD_MINUTES = {("EBL", "BGW"): 125, ("EBL", "ISU"): 95, ("ISU", "BGW"): 125}

#: Departure times offered to charters (local Minsk time). Morning departures leave a short Erbil test window
#: (48 h before arrival, minus lab turnaround and check-in), evening ones a long window.
DEPARTURE_TIMES = (time(7, 30), time(9, 45), time(11, 0), time(13, 30), time(15, 0), time(16, 45),
                   time(19, 15), time(21, 30))

#: Aircraft from the library and how often charter brokers offer each (a guess, not a public figure).
AIRCRAFT_MIX = {"A320-180Y": 0.28, "B737-800-189Y": 0.24, "A321-220Y": 0.2, "B767-300ER-259Y": 0.12,
                "A330-300-352Y": 0.09, "B747-400-440Y": 0.07}

BORDER_LOCATIONS = {"BRUZGI-LOGISTICS-CENTRE": 0.5, "HRODNA-FACILITY": 0.12, "MINSK-HOTEL-1": 0.16,
                    "MINSK-HOTEL-2": 0.12, "MINSK-HOTEL-3": 0.10}
IRAQ_DESTINATIONS = {"EBL": 0.70, "BGW": 0.19, "ISU": 0.11}

#: 2021 entry rules (docs/rules.md#test-windows): Erbil and Sulaymaniyah PCR 48 h before arrival with
#: under-12s and the vaccinated exempt; Baghdad PCR 72 h before departure with under-10s exempt.
RULES_2021: dict[str, DestinationRule] = {
    "EBL": DestinationRule(test="PCR", window_hours=48, anchor="arrival", exempt_under_years=12,
                           vaccinated_exempt=True),
    "BGW": DestinationRule(test="PCR", window_hours=72, anchor="departure", exempt_under_years=10),
    "ISU": DestinationRule(test="PCR", window_hours=48, anchor="arrival", exempt_under_years=12,
                           vaccinated_exempt=True),
}

#: Opening hours of the testing sites in each area (local time).
SITE_HOURS = {"BRUZGI": (time(8, 0), time(18, 0)), "HRODNA": (time(9, 0), time(17, 0)),
              "MINSK": (time(8, 0), time(20, 0))}
