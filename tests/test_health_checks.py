"""Health checks beyond COVID-19 (docs/health-checks.md): the model's own checks, the windows the planner books
in, the COVID-19 fields as one configuration of checks, and small end-to-end solves that the validator accepts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from builders import flight, person, scenario, site
from planner import SolveOptions, load_scenario, solve, validate
from planner.model.caseload import households
from planner.model.health_checks import HealthCheck, HealthChecks
from planner.model.plan import Plan, TestBooking
from planner.model.scenario import Scenario
from planner.oracle.objective import non_robust_samples
from planner.rules.testing_windows import COVID, covid_check, general_windows, person_window, person_windows
from planner.synth.health import with_fit_to_travel
from planner.whatif.replan import carry_over
from planner.whatif.variants import load_variant_scenario


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text + ":00+03:00")


def fit(**kw: Any) -> dict[str, Any]:
    """A fit-to-travel examination 24-72 h before departure at CLINIC, result 2 h later."""
    return {"id": "FIT", "kind": "fit_to_travel", "window_hours": 72, "closes_hours": 24, "turnaround_hours": 2,
            "providers": ["CLINIC"], **kw}


def pcr_after_fit(**kw: Any) -> dict[str, Any]:
    """A PCR sample at PCRLAB within 72 h of departure, after the fitness clearance's result is in."""
    return {"id": "PCR", "kind": "pcr", "window_hours": 72, "turnaround_hours": 24, "providers": ["PCRLAB"],
            "prerequisite": "FIT", **kw}


def _world(people: int = 3, checks: list[dict[str, Any]] | None = None, vaccinated: bool = True, **kw: Any
           ) -> Scenario:
    """People at CAMP flying to Erbil on 12-01 10:00 (check-in closes 07:00); vaccinated: no COVID-19 test."""
    ppl = [person(f"P{i}", household=f"H{i}", vaccinated=vaccinated) for i in range(people)]
    sites = [site("LAB"), site("CLINIC", capacity_per_slot=2), site("PCRLAB")]
    return scenario(ppl, sites=sites, checks=checks if checks is not None else [fit()], **kw)


# ---------------------------------------------------------------- the model


@pytest.mark.parametrize(("checks", "words"), [
    ([fit(), fit()], "unique"),
    ([fit(providers=[])], "providers"),
    ([fit(), fit(id="TB", kind="tb_screening", providers=["CLINIC"])], "both name provider CLINIC"),
    ([fit(prerequisite="NOPE")], "not a check"),
    ([fit(prerequisite="PCR"), pcr_after_fit()], "circle"),
    ([fit(closes_hours=72)], "closes_hours"),
    ([fit(destinations=["ebl"])], "airport code"),
])
def test_inconsistent_checks_are_input_errors(checks: list[dict[str, Any]], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        HealthChecks.model_validate({"checks": checks})


def test_a_check_applies_by_destination_and_period() -> None:
    check = HealthCheck.model_validate(fit(destinations=["EBL"], period={"from": "2021-12-01", "to": "2021-12-05"}))
    assert check.applies("EBL", _at("2021-12-01T10:00").date())
    assert not check.applies("BGW", _at("2021-12-01T10:00").date())
    assert not check.applies("EBL", _at("2021-12-06T10:00").date())


# ---------------------------------------------------------------- windows


def test_fit_to_travel_window_is_24_to_72_hours_before_departure() -> None:
    s = _world(1)
    [(check, w)] = person_windows(s.people[0], households(s)[0], s.flights[0], s)
    assert check == "FIT" and w.sites == ("CLINIC",)
    assert w.earliest_start == _at("2021-11-28T10:00") and w.latest_end == _at("2021-11-30T10:00")


def test_exemptions_under_age_and_vaccinated() -> None:
    s = _world(1, checks=[fit(exempt_under_years=12), fit(id="VAX", kind="vaccination_check", providers=["PCRLAB"],
                                                          exempt_vaccinated=True)])
    child = person("C", date_of_birth=_at("2015-01-01T00:00").date(), vaccinated=False)
    hh = households(s)[0]
    assert [c for c, _ in person_windows(s.people[0], hh, s.flights[0], s)] == ["FIT"]
    assert [c for c, _ in person_windows(child, hh, s.flights[0], s)] == ["VAX"]


def test_a_prerequisite_cuts_the_shared_span_so_its_result_is_in_first() -> None:
    s = _world(1, checks=[fit(), pcr_after_fit()])
    windows = dict(general_windows(s.people[0], households(s)[0], s.flights[0], s))
    # bookable from as_of 11-28 18:00; + 2 h turnaround = 20:00; PCR ends by 11-30 07:00; middle 11-29 13:30
    assert windows["PCR"].earliest_start == _at("2021-11-29T13:00")
    assert windows["FIT"].latest_end == _at("2021-11-29T11:00")
    unsplit = dict(general_windows(s.people[0], households(s)[0], s.flights[0], s, split=False))
    assert unsplit["PCR"].earliest_start == _at("2021-11-28T10:00")


def test_the_covid_fields_are_one_configuration_of_checks() -> None:
    s = _world(1, checks=[], vaccinated=False)
    check = covid_check("EBL", s)
    assert check is not None and (check.kind, check.window_hours, check.anchor) == ("pcr", 48, "arrival")
    assert (check.turnaround_hours, check.robust_margin_hours) == (24, 6)
    [(name, w)] = person_windows(s.people[0], households(s)[0], s.flights[0], s)
    assert name == COVID and w == person_window(s.people[0], households(s)[0], s.flights[0], s)
    assert covid_check("EBL", s.model_copy(update={"protocol": s.protocol.model_copy(update={"covid": False})})) \
        is None


# ---------------------------------------------------------------- solves


def _solve(s: Scenario) -> Plan:
    plan = solve(s, options=SolveOptions(time_limit=5, seat=False))
    assert validate(s, plan, previous=Plan(scenario=plan.scenario)) == []
    return plan


def _by_site(plan: Plan) -> dict[str, list[TestBooking]]:
    out: dict[str, list[TestBooking]] = {}
    for b in plan.tests:
        out.setdefault(b.site_id, []).append(b)
    return out


def test_solve_books_one_fit_to_travel_examination_per_passenger() -> None:
    s = _world(3)
    plan = _solve(s)
    assert plan.kpis.moved == 3
    clinic = _by_site(plan)["CLINIC"]
    assert sorted(b.person_id or "" for b in clinic) == ["P0", "P1", "P2"]
    for b in clinic:
        assert _at("2021-11-28T10:00") <= b.start and b.end <= _at("2021-11-30T10:00")


def test_solve_keeps_the_prerequisite_order_and_the_covid_test() -> None:
    s = _world(2, checks=[fit(), pcr_after_fit()], vaccinated=False)
    plan = _solve(s)
    sites = _by_site(plan)
    assert {k: len(v) for k, v in sites.items()} == {"LAB": 3, "CLINIC": 2, "PCRLAB": 2}  # LAB: and the escort
    assert sorted(b.escort_id or "" for b in sites["LAB"]) == ["", "", "OPS-1"]
    ready = {b.person_id: b.end for b in sites["CLINIC"]}
    assert all(b.start >= ready[b.person_id] for b in sites["PCRLAB"])
    # level 4 counts COVID-19 samples only (here all three: Erbil's robust start, 11-29 20:10, leaves no slot):
    # the clearances and PCR samples before it are not among them
    robust = _at("2021-11-29T20:10")
    assert all(b.start < robust for b in plan.tests)
    assert plan.objective.level4_non_robust == non_robust_samples(plan, s) == len(sites["LAB"]) == 3


def test_a_replan_keeps_every_checks_sample_of_a_household_it_does_not_touch() -> None:
    """Each passenger holds a COVID-19 sample, a fitness clearance and a PCR sample; a re-plan with nothing
    changed books none of them again (docs/health-checks.md, docs/rules.md#re-plan-stability)."""
    s = _world(2, checks=[fit(), pcr_after_fit()], vaccinated=False)
    plan = _solve(s)
    again = solve(s, previous=plan, options=SolveOptions(time_limit=5, seat=False))
    assert validate(s, again, previous=plan) == []
    def samples(p: Plan) -> list[tuple[str, str, datetime]]:
        return sorted((b.person_id, b.site_id, b.start) for b in p.tests if b.person_id)

    assert len(samples(plan)) == 6 and samples(again) == samples(plan)
    kept = carry_over(s, plan).fixed.bookings  # kept as they are, not booked again into the same slots
    assert {pid: sorted(b.site_id for b in bs) for pid, bs in kept.items()} == {
        pid: ["CLINIC", "LAB", "PCRLAB"] for pid in ("P0", "P1")}


def test_provider_daily_capacity_leaves_the_rest_unassigned_with_a_reason() -> None:
    clinic = site("CLINIC", capacity_per_slot=2, daily_capacity=1, days={"from": "2021-11-29", "to": "2021-11-29"})
    s = _world(3)
    s.testing_sites = [site("LAB"), clinic, site("PCRLAB")]
    plan = _solve(s)
    assert plan.kpis.moved == 1 and len(_by_site(plan)["CLINIC"]) == 1
    codes = {r.code for u in plan.unassigned for r in u.reasons}
    assert codes == {"capacity.lab"}


def test_no_provider_slot_is_the_no_valid_slot_reason_naming_the_check() -> None:
    s = _world(1, checks=[fit(providers=["PCRLAB"], closes_hours=70)])
    s.testing_sites = [site("LAB"), site("PCRLAB", days={"from": "2021-11-30", "to": "2021-12-01"})]
    plan = _solve(s)
    [u] = plan.unassigned
    assert [r.code for r in u.reasons] == ["test.no_valid_slot"]
    assert "check FIT" in u.reasons[0].message


def test_covid_written_as_a_check_plans_like_the_covid_fields() -> None:
    """COVID-19 is not a special case: the Erbil rule written as a check (at the same lab) books the same."""
    base = _world(3, checks=[], vaccinated=False)
    as_check = _world(3, checks=[{"id": "EBL-PCR", "kind": "pcr", "destinations": ["EBL"], "window_hours": 48,
                                  "anchor": "arrival", "turnaround_hours": 24, "robust_margin_hours": 6,
                                  "exempt_under_years": 12, "exempt_vaccinated": True, "providers": ["LAB"]}],
                      vaccinated=False, covid=False)
    for s in (base, as_check):
        s.testing_sites = [site("LAB")]
        s.escorts = [e.model_copy(update={"vaccinated": True}) for e in s.escorts]
    a, b = _solve(base), _solve(as_check)
    assert [(t.person_id, t.site_id, t.start) for t in a.tests] == [(t.person_id, t.site_id, t.start) for t in b.tests]
    assert len(a.tests) == 3


def test_flights_outside_the_period_need_no_check() -> None:
    s = _world(2, checks=[fit(period={"from": "2021-12-02", "to": "2021-12-31"})], flights=[flight("F1")])
    plan = _solve(s)
    assert plan.kpis.moved == 2 and "CLINIC" not in _by_site(plan)


# ---------------------------------------------------------------- the bundled non-COVID variant

VARIANT = Path(__file__).resolve().parent.parent / "variants" / "belarus-fit-to-travel.yaml"


def test_the_belarus_fit_to_travel_variant_is_the_synthetic_examination_without_covid() -> None:
    _, applied = load_variant_scenario(VARIANT)
    s = applied.scenario
    expected = with_fit_to_travel(load_scenario(VARIANT.parent.parent / "scenarios" / "belarus-2021-iraq"),
                                  covid=False)
    assert s.protocol == expected.protocol
    assert s.testing_sites == expected.testing_sites
    assert not s.protocol.covid and [c.kind for c in s.protocol.checks] == ["fit_to_travel"]


def test_the_fit_to_travel_variant_books_an_examination_for_every_passenger_and_no_pcr() -> None:
    _, applied = load_variant_scenario(VARIANT)
    s = applied.scenario
    plan = solve(s, options=SolveOptions(time_limit=0, seat=False))
    assert validate(s, plan) == []
    flying = {pa.person_id for fp in plan.flights for pa in fp.passengers}
    assert plan.kpis.moved > 5000
    assert {b.person_id for b in plan.tests} == flying
    assert {b.site_id for b in plan.tests} <= {"BRUZGI-CLINIC", "HRODNA-CLINIC", "MINSK-CLINIC"}
    assert all(b.escort_id is None for b in plan.tests)
    unsmoothed = s.model_copy(update={"protocol": s.protocol.model_copy(update={"lab_peak_objective": None})})
    as_booked = solve(unsmoothed, options=SolveOptions(time_limit=0, seat=False))
    assert as_booked.kpis.moved == plan.kpis.moved
    assert plan.kpis.lab_peak_ratio < as_booked.kpis.lab_peak_ratio


def test_the_change_list_names_each_checks_new_sample_once() -> None:
    """A passenger re-booked for two of three checks: two "retest" lines, each against the earlier sample of
    the same check (its provider), the unchanged COVID-19 sample not among them."""
    from planner.whatif.replan import diff_plans

    s = _world(1, checks=[fit(), pcr_after_fit()], vaccinated=False)
    plan = _solve(s)
    moved = {"CLINIC": _at("2021-11-29T09:00"), "PCRLAB": _at("2021-11-29T19:00")}
    again = plan.model_copy(update={"tests": [
        b.model_copy(update={"start": moved[b.site_id], "end": moved[b.site_id] + (b.end - b.start)})
        if b.person_id and b.site_id in moved else b for b in plan.tests]})
    old = {b.site_id: b.start.isoformat() for b in plan.tests if b.person_id}
    lines = [(c.kind, c.before, c.after) for c in diff_plans(plan, again) if c.person_id == "P0"]
    assert all(old[site] != at.isoformat() for site, at in moved.items())
    assert sorted(lines) == sorted(("retest", old[site], at.isoformat()) for site, at in moved.items())
