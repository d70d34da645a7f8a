"""Re-planning benchmark on `scenarios/belarus-2021-iraq`: one event, one re-plan, and how much it changed.

Run as `python bench/bench_replan.py [--scenario DIR] [--time-limit 1.5]`. A base plan is solved once (with
seating); then each event below is applied to it on its own and re-planned from the base plan. Printed per
event: seconds for the re-plan (from the updated scenario to a validated plan), the people the event touches,
people dropped, added, moved to another flight, moved seat and re-tested, and the validator's verdict. The
baseline is a full re-solve of the updated scenario from scratch, which reshuffles far more people.
Target: at most 5 s, and no changes beyond the affected household and those who take its seats.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

from planner import SolveOptions, load_scenario, solve, validate
from planner.events import EventsFile, apply_events
from planner.replan import diff_plans


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="scenarios/belarus-2021-iraq")
    parser.add_argument("--time-limit", type=float, default=0.0,
                        help="CP-SAT seconds to improve the fill (0: keep and fill by priority)")
    parser.add_argument("--base-time-limit", type=float, default=20.0)
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    t = time.monotonic()
    base = solve(scenario, options=SolveOptions(time_limit=args.base_time_limit, seating_time_limit=0.3))
    print(f"base plan: {base.kpis.moved} moved, {time.monotonic() - t:.1f} s, "
          f"{len(validate(scenario, base))} violations")
    household_of = {p.case_id: p.household_id for p in scenario.people}
    members: Counter[str] = Counter(household_of.values())
    flight_of = {pa.person_id: fp.flight_id for fp in base.flights for pa in fp.passengers}
    four = next(p for p in sorted(flight_of) if members[household_of[p]] == 4)
    single = next(p for p in sorted(flight_of) if members[household_of[p]] == 1)
    flight = sorted(base.flights, key=lambda f: f.flight_id)[len(base.flights) // 2].flight_id
    sample = next(b for b in base.tests if b.flight_id == flight and b.person_id)
    events = {
        "positive test, 4-person household": ([{"type": "positive_test", "case_id": four, "date": "2021-11-28"}], 4),
        "consent withdrawn, single": ([{"type": "consent_withdrawn", "case_id": single}], 1),
        f"flight {flight} delayed 8 h": ([{"type": "flight_delayed", "flight_id": flight, "hours": 8}], 0),
        f"lab slot {sample.site_id} {sample.start:%d %H:%M} cancelled": (
            [{"type": "lab_slots_cancelled", "site_id": sample.site_id, "start": sample.start.isoformat(),
              "end": sample.end.isoformat()}], 0),
    }
    print(f"{'event':<44} {'secs':>5} {'touched':>7} {'dropped':>7} {'added':>5} {'moved':>5} {'seat':>5} "
          f"{'retest':>6} {'valid':>5} | {'full re-solve: moved flight':>27}")
    ok = True
    for name, (evs, touched) in events.items():
        updated = apply_events(scenario, EventsFile.model_validate({"events": evs}))
        t = time.monotonic()
        new = solve(updated, previous=base, options=SolveOptions(time_limit=args.time_limit, seating_time_limit=0.3))
        violations = validate(updated, new)
        seconds = time.monotonic() - t
        kinds = Counter(c.kind for c in diff_plans(base, new))
        fresh = solve(updated, options=SolveOptions(time_limit=args.time_limit, seat=False))
        fresh_moved = sum(1 for c in diff_plans(base, fresh) if c.kind == "moved_flight")
        print(f"{name:<44} {seconds:>5.1f} {touched:>7} {kinds['dropped']:>7} {kinds['added']:>5} "
              f"{kinds['moved_flight']:>5} {kinds['moved_seat']:>5} {kinds['retest']:>6} "
              f"{'yes' if not violations else 'NO':>5} | {fresh_moved:>27}", flush=True)
        ok = ok and not violations and seconds <= 5 and kinds["moved_flight"] == 0 and kinds["dropped"] <= touched
    print("target: <= 5 s per re-plan; nobody moved to another flight; only the affected household dropped")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
