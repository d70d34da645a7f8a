"""The CP-SAT engine of the allocation program (planner.allocation.program), in stages: the LP relaxation for
a bound and a guide, CP-SAT in the LP's neighbourhood, a top-up by priority, CP-SAT on the full model (a large
model: re-planning a few flights at a time instead), then level 1b with level 1a kept
(docs/architecture.md#allocation).

Every stage clones one base model (variable i is proto index i), so hints and values carry from stage to stage.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from planner.allocation.bounds import seat_bound
from planner.allocation.feasibility import top_up, trim_escorts
from planner.allocation.greedy import Allocation
from planner.allocation.linear import PDLP_FROM_VARIABLES, lp_relaxation, trivial_bound
from planner.allocation.problem import AllocationProblem
from planner.allocation.program import AllocationModel, Terms, dense, extract, hint_values
from planner.allocation.windows import WindowSearch
from planner.model.options import Progress, SolveOptions, StopSignal

DETERMINISTIC_PER_SECOND = 0.3
#: Shares of the engine's seconds: the LP at most a quarter (not in deterministic mode), the neighbourhood 35 %,
#: the full model 45 %, level 1b the rest (deterministic: 20 % of the seconds).
NEAR_LP_SHARE, FULL_MODEL_SHARE, LEVEL_1B_DETERMINISTIC_SHARE = 0.35, 0.45, 0.2


@dataclass
class Incumbent:
    """The best level-1a value found so far and the best proven bound (the least of the LP relaxation's and
    CP-SAT's bounds on the full model), so every progress report reads on one scale."""

    value: float | None = None
    bound: float | None = None

    def offer(self, value: float | None = None, bound: float | None = None) -> None:
        if value is not None:
            self.value = value if self.value is None else max(self.value, value)
        if bound is not None:
            self.bound = bound if self.bound is None else min(self.bound, bound)

    def progress(self, stage: str, options: SolveOptions, message: str = "") -> Progress:
        value, bound = self.value, self.bound
        if value is not None and bound is not None:
            bound = max(bound, value)
        gap = (bound - value) / bound if value is not None and bound else None
        return Progress(stage, value, bound, gap, options.elapsed(), message)


class Watch(cp_model.CpSolverSolutionCallback):
    """Reports progress at most once a second, in level-1a terms.

    `kind`: "1a" (a model maximising level 1a; with `proves`, its bound is a bound of the whole problem, not
    only of a neighbourhood), or "other" (level 1b or fleet sizing: the level-1a figures stay as they were)."""

    def __init__(self, stage: str, options: SolveOptions, incumbent: Incumbent, kind: str = "1a",
                 proves: bool = False, message: str = ""):
        super().__init__()
        self.stage, self.options, self.incumbent = stage, options, incumbent
        self.kind, self.proves, self.message = kind, proves, message
        self.last = 0.0

    def on_solution_callback(self) -> None:
        if self.kind == "1a":
            self.incumbent.offer(self.objective_value, int(self.best_objective_bound + 1e-6) if self.proves
                                 else None)
        now = time.monotonic()
        if now - self.last >= 1.0:
            self.last = now
            message = self.message
            if self.kind != "1a":
                message = f"{message} {self.objective_value:,.0f} (bound {self.best_objective_bound:,.0f})".strip()
            self.options.report(self.incumbent.progress(self.stage, self.options, message))


def run_cp(model: cp_model.CpModel, seconds: float, options: SolveOptions, stage: str,
           watch: Watch | None = None) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
    """Solve within `seconds` and never past the solve's deadline; a stop request or the deadline ends the
    search with its best solution (CP-SAT's stop_search, from a watcher thread)."""
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.num_workers = max(1, options.workers)
    params.random_seed = 0
    params.catch_sigint_signal = False  # Ctrl-C is the command's (planner.pipeline.interrupt), which stops every stage
    deadline = options.clock()
    if options.deterministic:
        params.interleave_search = True
        # CP-SAT's deterministic time runs about 3-4x slower than the wall clock on 2 cores with interleaved
        # workers; the wall limit is only a safety net that a normal run never reaches
        params.max_deterministic_time = max(0.05, seconds * DETERMINISTIC_PER_SECOND)
        params.max_time_in_seconds = max(0.05, min(seconds * 10, deadline.remaining()))
    else:
        params.max_time_in_seconds = max(0.05, min(seconds, deadline.remaining()))
    done = threading.Event()

    def watcher() -> None:
        # asked again every 50 ms, not once: a stop_search that comes before the search has started is lost
        while not done.wait(0.05):
            if options.stopped() or deadline.expired():
                solver.stop_search()

    thread = threading.Thread(target=watcher, daemon=True)
    thread.start()
    status = solver.solve(model, watch or Watch(stage, options, Incumbent(), kind="other"))
    done.set()
    thread.join()
    return solver, status


#: rows posted between two looks at the stop request while the CP-SAT model is built (about 10 ms of work)
ROWS_PER_STOP_CHECK = 500


def cp_base_model(m: AllocationModel) -> cp_model.CpModel:
    """The CP-SAT model of `m`, without objective, variables and constraints named as in `m`; stages clone it
    (variable i is proto index i)."""
    model = base_unless_stopped(m, None)
    assert model is not None  # nothing can stop it
    return model


def base_unless_stopped(m: AllocationModel, stop: StopSignal | None) -> cp_model.CpModel | None:
    """`cp_base_model`, or None when `stop` is set while it is built (a second or more on a large operation,
    which a stop should not wait for).

    Written straight into the model's proto, as the modelling API would write it (terms merged per variable and
    sorted by index; a row with both sides and lo < hi as two constraints): the API's expression objects cost
    more than the solver's search at 20,000 people (a million coefficients)."""
    model = cp_model.CpModel()
    proto = model.proto
    for u, name in zip(m.upper, m.names, strict=True):
        var = proto.variables.add()
        var.name = name
        var.domain.extend((0, u))
    for i, (terms, lo, hi, name) in enumerate(m.rows):
        if stop is not None and i % ROWS_PER_STOP_CHECK == 0 and stop.is_set():
            return None
        merged: dict[int, int] = {}
        for c, v in terms:
            merged[v] = merged.get(v, 0) + c
        order = sorted(v for v, c in merged.items() if c)
        coeffs = [merged[v] for v in order]
        if lo is not None and hi is not None and lo == hi:
            sides = [(lo, lo)]
        else:
            sides = ([(lo, cp_model.INT_MAX)] if lo is not None else []) + \
                    ([(cp_model.INT_MIN, hi)] if hi is not None else [])
        for side in sides:
            ct = proto.constraints.add()
            ct.name = name
            ct.linear.vars.extend(order)
            ct.linear.coeffs.extend(coeffs)
            ct.linear.domain.extend(side)
    return model


def stage_model(base: cp_model.CpModel, m: AllocationModel, start: list[int] | None, upper: list[int] | None = None,
                lower: list[int] | None = None) -> tuple[cp_model.CpModel, list[cp_model.IntVar]]:
    """A copy of the base model for one stage: hinted at `start`, with variables capped at `upper` and raised
    to `lower`."""
    model = base.clone()
    xs = [model.get_int_var_from_proto_index(i) for i in range(len(m.upper))]
    if upper is not None:
        for i, u in enumerate(upper):
            if u != m.upper[i]:
                model.proto.variables[i].domain[1] = u
    if lower is not None:
        for i, lo in enumerate(lower):
            if lo:
                model.proto.variables[i].domain[0] = lo
    for var, val in zip(xs, start or [], strict=False):
        model.add_hint(var, val)
    return model, xs


def weighted(xs: list[cp_model.IntVar], terms: Terms) -> cp_model.LinearExpr:
    return cp_model.LinearExpr.weighted_sum([xs[v] for _, v in terms], [c for c, _ in terms])


@dataclass
class _Search:
    """What the CP-SAT stages share: the best level-1a point so far (`best`, worth `best_a`), the proven bound,
    and the time they may use (`seconds` of the engine, ending at `end` on the monotonic clock)."""

    m: AllocationModel
    problem: AllocationProblem
    options: SolveOptions
    incumbent: Incumbent
    seconds: float
    end: float
    base: cp_model.CpModel
    best: list[int]
    best_a: int
    bound: int
    optimal: bool = False

    def left(self, share: float) -> float:
        """A stage's seconds: its share as it is in a deterministic solve (CP-SAT's deterministic time),
        otherwise its share or what is left, whichever is less."""
        if self.options.deterministic:
            return self.seconds * share
        return min(self.seconds * share, self.end - time.monotonic())

    def going(self) -> bool:
        return not self.options.stopped() and (self.options.deterministic or self.end - time.monotonic() > 0.05)

    def improve(self, upper: list[int] | None, seconds: float, stage: str, lower: list[int] | None = None) -> bool:
        """Maximise level 1a by CP-SAT within `lower`..`upper` (a neighbourhood), or on the full model from the
        best plan so far (its bound then bounds the whole problem); keep what is at least as good. False when
        it found no solution."""
        model, xs = stage_model(self.base, self.m, None if upper is not None else self.best, upper, lower)
        model.maximize(weighted(xs, self.m.level_a))
        watch = Watch(stage, self.options, self.incumbent, proves=upper is None,
                      message="near the LP solution" if upper is not None else "full model")
        solver, status = run_cp(model, seconds, self.options, stage, watch)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return False
        if round(solver.objective_value) >= self.best_a:
            self.best, self.best_a = [solver.value(v) for v in xs], round(solver.objective_value)
        if upper is None:
            self.bound = min(self.bound, round(solver.best_objective_bound))
            self.optimal = self.optimal or status == cp_model.OPTIMAL
            self.incumbent.offer(bound=self.bound)
        return True

    def adopt(self, alloc: Allocation) -> None:
        """Keep an allocation found outside CP-SAT when it is at least as good."""
        candidate = dense(self.m, hint_values(self.m, self.problem, alloc))
        value = self.m.value(self.m.level_a, candidate)
        if value >= self.best_a:
            self.best, self.best_a = candidate, value
        self.incumbent.offer(self.best_a)

    def result(self) -> Allocation:
        result = extract(self.m, self.best, self.problem)
        result.bound = self.bound
        proven = self.optimal or self.best_a >= self.bound
        result.status = "stopped" if self.options.stopped() else ("optimal" if proven else "feasible")
        return result


#: asked with the windows' best plan (at most every HAND_OVER_EVERY seconds) whether to end the allocation
#: there and leave its seconds to a later stage that knows more (the pipeline: re-planning around the places
#: no vehicle can serve)
HandOver = Callable[[Allocation], bool]
HAND_OVER_EVERY = 1.0


def solve_cpsat(m: AllocationModel, problem: AllocationProblem, options: SolveOptions, hint: Allocation,
                seconds: float, incumbent: Incumbent, hand_over: HandOver | None = None) -> Allocation:
    """LP relaxation → CP-SAT inside the LP's support (a RINS-like neighbourhood) → top-up → full CP-SAT →
    level 1b with 1a fixed; all within `seconds` and never past the solve's deadline (shares above). When the
    LP does not finish in its share (a large operation in a short solve), CP-SAT re-plans a few flights at a
    time from the greedy plan instead (planner.allocation.windows, docs/scale.md); a program large enough for
    PDLP does so from the start, PDLP proving the bound beside it (`_windows_beside_pdlp`)."""
    end = min(options.clock().at, time.monotonic() + seconds)
    if len(m.upper) >= PDLP_FROM_VARIABLES and not options.deterministic and not options.stopped():
        return _windows_beside_pdlp(m, problem, options, hint, seconds, end, incumbent)
    lp, lp_bound, solved = _lp_stage(m, problem, options, incumbent, end, seconds)
    if not solved and not options.deterministic and not options.stopped():
        return _by_windows(m, problem, options, hint, seconds, end, incumbent, lp_bound)
    base = None if options.stopped() else base_unless_stopped(m, options.stop)
    if base is None:  # a stop before the CP-SAT search: the hint is the best plan so far, as it is
        return hint.copy(status="stopped", bound=lp_bound)
    best = dense(m, hint_values(m, problem, hint))
    search = _Search(m, problem, options, incumbent, seconds, end, base, best, m.value(m.level_a, best), lp_bound)
    if search.best_a < search.bound and search.going():
        _near_lp(search, lp)
        if search.going():  # after a stop the caller tops up the result once (planner.pipeline.solve.allocate)
            _top_up(search)
    handed = False
    if search.best_a < search.bound and search.going():
        if _windowed(m, options):
            handed = _windows(search, hand_over)
        else:
            search.improve(None, search.left(FULL_MODEL_SHARE), "allocation")
    result = search.result()
    if not search.going() or handed:
        # handed over: the caller re-plans around what a later stage cuts with the time left, where level 1b
        # would have taken it (7,000 synthetic people: 3.8 s, and the plan stood 0.67 % below the bound)
        return result
    if _windowed(m, options) and search.end - time.monotonic() < MIN_LEVEL_1B_SECONDS:
        return result  # writing the full model for level 1b alone takes longer than what is left
    return _level_1b(search, result)


#: The LP's share of the engine's seconds (not in deterministic mode): past it the LP is cut short. GLOP may
#: take all but `LP_RESERVE_SECONDS` of a short allocation, and PDLP (a large operation, beside the windows) all
#: but them, but neither is started when that is below what it needs by its variables: a plan near the LP (its
#: box, then a few flights at a time) gained 6 % of level 1a on the greedy plan within a second at 7,000 people,
#: where re-planning from the greedy plan without the LP gained 0.4 % in that second; an LP cut short is time
#: lost (on a busy machine it cost a 15-second solve 3 s)
LP_SHARE, LP_RESERVE_SECONDS = 0.4, 1.5
#: GLOP's seconds per variable on an idle machine, writing included (1.0-1.25 s at 7,000 people, 22,000-24,000
#: variables, by the dual simplex: planner.allocation.linear.GLOP_PARAMETERS), with a fifth to spare
GLOP_SECONDS_PER_VARIABLE = 0.00006
#: PDLP's at its tolerance (planner.allocation.linear), writing and the bound from its duals included, grows
#: faster than its variables: 6.6 s at 20,000 people (150,000 variables), 142 s at 50,000 (814,000), both
#: with the cores busy; so (variables / 150,000) ** 1.8 × 6.6 s
PDLP_SECONDS, PDLP_VARIABLES, PDLP_GROWTH = 6.6, 150_000, 1.8
#: Without the LP, re-planning a few flights at a time takes this share; level 1b on the full model the rest
WINDOWS_SHARE = 0.8
MIN_LEVEL_1B_SECONDS = 3.0  # below this level 1b on the full model is not started (writing it takes 1-2 s)


def lp_seconds_needed(m: AllocationModel) -> float:
    """What the LP relaxation of `m` needs on an idle machine, by its engine and variables."""
    n = len(m.upper)
    return PDLP_SECONDS * (n / PDLP_VARIABLES) ** PDLP_GROWTH if n >= PDLP_FROM_VARIABLES \
        else GLOP_SECONDS_PER_VARIABLE * n


def _lp_stage(m: AllocationModel, problem: AllocationProblem, options: SolveOptions, incumbent: Incumbent,
              end: float, seconds: float) -> tuple[list[float], int, bool]:
    """The LP relaxation: the bound, the neighbourhood CP-SAT starts from, and whether it was solved. Cut at
    its share of the engine's seconds; when it does not finish (or is not started), the bound is the seats'
    (planner.allocation.bounds.seat_bound), or every household flying when that is lower: nothing unproven is
    claimed."""
    no_lp = [0.0] * len(m.upper)
    if options.stopped():  # no LP after a stop
        return no_lp, trivial_bound(m), False
    if options.deterministic:
        lp, lp_bound = lp_relaxation(m, 0.0, options.stop)
    else:
        share = max(min(max(0.05, end - time.monotonic()), LP_SHARE * seconds),
                    min(end - time.monotonic(), seconds) - LP_RESERVE_SECONDS)
        if _windowed(m, options) and share < lp_seconds_needed(m):
            return no_lp, _without_lp(m, problem, options, incumbent), False
        lp, lp_bound = lp_relaxation(m, share, options.stop)
    solved = lp_bound != trivial_bound(m) or any(lp)
    if not solved:
        return no_lp, _without_lp(m, problem, options, incumbent), False
    lp_bound = min(lp_bound, seat_bound(problem))  # whole escorts' seats may prove less than the LP
    incumbent.offer(bound=lp_bound)
    options.report(incumbent.progress("allocation-lp", options, "LP relaxation"))
    return lp, lp_bound, solved


def _seats_bound(m: AllocationModel, problem: AllocationProblem, options: SolveOptions) -> int:
    """The bound without an LP: the seats' (a min-cost flow, under a second at 20,000 people), unless a stop
    came first."""
    return trivial_bound(m) if options.stopped() else min(trivial_bound(m), seat_bound(problem))


def _without_lp(m: AllocationModel, problem: AllocationProblem, options: SolveOptions, incumbent: Incumbent,
                note: str = "LP cut short: the seats' bound", bound: int | None = None) -> int:
    """The bound when no LP is solved (yet), reported."""
    bound = _seats_bound(m, problem, options) if bound is None else bound
    incumbent.offer(bound=bound)
    options.report(incumbent.progress("allocation-lp", options, note))
    return bound


#: PDLP is started beside the windows only when the plan lies this far below the seats' bound: the LP's bound
#: lies between the two, so PDLP can prove at most that much less, and it takes a core from the windows. At
#: 20,000 people (0.78 % below the seats' bound) PDLP proved nothing lower (200,447-200,463 against 200,384),
#: and the windows on both cores ended at 0.47-0.48 % against 0.51-0.63 % beside PDLP (two runs each)
PDLP_FROM_GAP = 0.01


def _windows_beside_pdlp(m: AllocationModel, problem: AllocationProblem, options: SolveOptions, hint: Allocation,
                        seconds: float, end: float, incumbent: Incumbent) -> Allocation:
    """A large operation: PDLP proves the bound on one core while CP-SAT (one worker) re-plans a few flights
    at a time from the greedy plan on the other (`_by_windows`), when the seats' bound leaves room for a
    better one (`PDLP_FROM_GAP`). One after the other, PDLP took the allocation's seconds at 20,000 people and
    the greedy plan stood; the LP wrapper releases the interpreter lock while it solves. The bound is the
    seats' until PDLP's, when it finishes in time (docs/scale.md)."""
    bound = _seats_bound(m, problem, options)
    share = end - time.monotonic() - LP_RESERVE_SECONDS
    proven: list[int] = []
    thread = None
    loose = incumbent.value is None or bound - incumbent.value > PDLP_FROM_GAP * bound
    if share >= lp_seconds_needed(m) and loose:
        # what is left of PDLP's share after it goes to its prices (planner.allocation.bounds.polished)
        until = end - LP_RESERVE_SECONDS
        thread = threading.Thread(target=lambda: proven.append(lp_relaxation(m, share, options.stop, until)[1]),
                                  name="lp-bound", daemon=True)
        thread.start()
    note = ("the seats' bound, PDLP running" if thread else "the seats' bound, near the plan: no PDLP" if not loose
            else "no time for the LP: the seats' bound")
    bound = _without_lp(m, problem, options, incumbent, note, bound)
    result = _by_windows(m, problem, options, hint, seconds, end, incumbent, bound, workers=1 if thread else None)
    if thread is not None:
        thread.join()
        if proven and proven[0] < bound:
            result.bound = proven[0]
            incumbent.offer(bound=proven[0])
            options.report(incumbent.progress("allocation-lp", options, "LP relaxation (PDLP)"))
    return result


def _by_windows(m: AllocationModel, problem: AllocationProblem, options: SolveOptions, hint: Allocation,
               seconds: float, end: float, incumbent: Incumbent, bound: int, workers: int | None = None
               ) -> Allocation:
    """Without the LP: re-plan a few flights at a time from the greedy plan in `WINDOWS_SHARE` of the seconds
    (the full model is too large to gain in them), top up, then level 1b on the full model with what is left.
    The bound is the one given (the seats'): nothing here proves a better one. CP-SAT re-plans the windows
    (far from the optimum its large-neighbourhood search gains most, planner.allocation.windows), with
    `workers` when not the solve's (PDLP has a core of its own)."""
    rest = max(0.0, end - time.monotonic()) * (1 - WINDOWS_SHARE)
    stop_at = end - rest if rest >= MIN_LEVEL_1B_SECONDS else end  # too little for level 1b: all to the windows
    best = _replan_windows(m, problem, options, incumbent, dense(m, hint_values(m, problem, hint)), stop_at,
                           "cp-sat", workers or options.workers)
    base = None
    if not options.stopped() and end - time.monotonic() >= MIN_LEVEL_1B_SECONDS:
        base = base_unless_stopped(m, options.stop)
    if base is None:  # the caller tops the plan up (planner.pipeline.solve.allocate)
        result = extract(m, best, problem)
        result.bound, result.status = bound, "stopped" if options.stopped() else "feasible"
        return result
    search = _Search(m, problem, options, incumbent, seconds, end, base, best, m.value(m.level_a, best), bound)
    _top_up(search)
    result = search.result()
    if not search.going():
        return result
    return _level_1b(search, result)


#: From this many variables the full model is not searched in a solve's allocation seconds (its presolve alone
#: took over 3 s at 7,000 people, 24,000 variables, 2 cores busy): after the LP's box the plan is re-planned a
#: few flights at a time, which gained 0.5 % of level 1a a second there (docs/scale.md)
WINDOWS_FROM_VARIABLES = 10_000
#: CP-SAT seconds in the LP's box at most when the windows follow (its first solutions come within 0.3 s at
#: 7,000 people; later ones gain less than the windows do)
BOX_SECONDS = 1.0


def _windowed(m: AllocationModel, options: SolveOptions) -> bool:
    """Whether the full model makes way for re-planning a few flights at a time (never in a deterministic
    solve: the windows' searches are cut by the wall clock)."""
    return len(m.upper) >= WINDOWS_FROM_VARIABLES and not options.deterministic


def lp_box(m: AllocationModel, lp: list[float]) -> tuple[list[int], list[int]]:
    """Each household count between its LP value rounded down and rounded up (escorts and test flows free): the
    LP leaves few counts fractional (138 of 22,500 at 7,000 people), so the box is small and close to the LP."""
    x_ids = set(m.x.values())
    lower = [int(lp[i] + 1e-9) if i in x_ids else 0 for i in range(len(m.upper))]
    upper = [min(u, int(-(-lp[i] // 1) + 1e-9)) if i in x_ids else u for i, u in enumerate(m.upper)]
    return [min(lo, up) for lo, up in zip(lower, upper, strict=True)], upper


def _near_lp(search: _Search, lp: list[float]) -> None:
    """CP-SAT in the LP's box (a RINS-like move: counts the LP leaves whole are kept); when the box has no
    solution, first without the floors of the flights CP-SAT names as the conflict (`_in_box`), then with each
    count only capped at its LP value rounded up. No hint: the greedy plan is a poor local optimum that holds
    the search back."""
    lower, upper = lp_box(search.m, lp)
    seconds = search.left(NEAR_LP_SHARE)
    if _windowed(search.m, search.options):
        seconds = min(seconds, BOX_SECONDS)
    started = time.monotonic()
    if _in_box(search, lower, upper, seconds, started) or not search.going():
        return
    rest = search.left(NEAR_LP_SHARE) if search.options.deterministic else seconds - (time.monotonic() - started)
    if rest > 0.05:
        search.improve(upper, rest, "allocation-rins")


def _in_box(search: _Search, lower: list[int], upper: list[int], seconds: float, started: float) -> bool:
    """Whether CP-SAT found a plan in the box; a box without one is searched again without the floors of the
    flights in conflict (`_box_conflict`), up to `BOX_RELAXATIONS` times within `seconds` from `started` (not in
    a deterministic solve, whose budget reads no clock: the box once)."""
    deterministic = search.options.deterministic
    for _ in range(BOX_RELAXATIONS):
        left = seconds if deterministic else seconds - (time.monotonic() - started)
        if search.improve(upper, left, "allocation-rins", lower):
            return True
        left = seconds - (time.monotonic() - started)
        if deterministic or not search.going() or left < MIN_BOX_SECONDS:
            return False
        conflict = _box_conflict(search, lower, upper, left)
        if not conflict:
            return False
        lower = [0 if v in conflict else lo for v, lo in enumerate(lower)]
    return False


#: times the box is searched again without the floors of the flights in conflict, and the least time worth it
#: (a search that finds the box empty ends in 0.1 s at 7,000 people, and naming the conflict takes 0.2 s)
BOX_RELAXATIONS, MIN_BOX_SECONDS = 3, 0.2


def _box_conflict(search: _Search, lower: list[int], upper: list[int], seconds: float) -> set[int]:
    """The household counts whose floors leave the box without a plan: those of the flights CP-SAT names in
    its sufficient assumptions for infeasibility, one assumption a flight holding its counts at their floors.
    The floors of whole LP counts can ask for more escorts than any whole escort schedule flies: at 7,000
    synthetic people two flights' floors left the box empty, and the plan began from the greedy one instead
    (0.61 % below the bound in 20 s, against 0.07 %)."""
    m = search.m
    model, xs = stage_model(search.base, m, None, upper)
    held: dict[str, cp_model.IntVar] = {}
    counts: dict[str, list[int]] = {}
    for (_, fid), v in m.x.items():
        if lower[v]:
            if fid not in held:
                held[fid] = model.new_bool_var(f"floors[{fid}]")
            model.add(xs[v] >= lower[v]).only_enforce_if(held[fid])
            counts.setdefault(fid, []).append(v)
    model.add_assumptions(list(held.values()))
    solver, status = run_cp(model, seconds, search.options, "allocation-rins")
    if status != cp_model.INFEASIBLE:
        return set()
    named = set(solver.sufficient_assumptions_for_infeasibility())
    return {v for fid, literal in held.items() if literal.index in named for v in counts[fid]}


def _windows(search: _Search, hand_over: HandOver | None = None) -> bool:
    """Re-plan a few flights at a time from the best plan so far (near the LP's plan: SCIP's windows), then top
    up. The last fifth of the time is level 1b's when it is long enough for it (`MIN_LEVEL_1B_SECONDS`), else
    the windows' too: SCIP's windows still gain in a 15-second solve's last seconds at 7,000 people
    (docs/scale.md). `hand_over` may end them earlier: then True."""
    m, options = search.m, search.options
    rest = max(0.0, search.end - time.monotonic()) * (1 - WINDOWS_SHARE)
    stop_at = search.end - rest if rest >= MIN_LEVEL_1B_SECONDS else search.end
    handed = threading.Event()
    values = _replan_windows(m, search.problem, options, search.incumbent, search.best, stop_at, "scip",
                             options.workers, hand_over, handed)
    value = m.value(m.level_a, values)
    if value >= search.best_a:
        search.best, search.best_a = values, value
    if not options.stopped():
        _top_up(search)
    return handed.is_set()


def _replan_windows(m: AllocationModel, problem: AllocationProblem, options: SolveOptions, incumbent: Incumbent,
                    start: list[int], stop_at: float, engine: str, workers: int = 1,
                    hand_over: HandOver | None = None, handed: threading.Event | None = None) -> list[int]:
    """Re-plan a few flights at a time from `start` until `stop_at` by `engine` ("scip" or "cp-sat", with
    `workers`; planner.allocation.windows), each better plan reported as it is found, or until `hand_over` says
    so of one (then `handed` is set); the best values."""
    handed = handed or threading.Event()
    asked = [time.monotonic()]

    def improved(values: list[int]) -> None:
        incumbent.offer(m.value(m.level_a, values))
        options.report(incumbent.progress("allocation", options, "a few flights at a time"))
        if hand_over is not None and time.monotonic() - asked[0] >= HAND_OVER_EVERY:
            asked[0] = time.monotonic()
            if hand_over(extract(m, values, problem)):
                handed.set()

    return WindowSearch(m, problem, engine).improve(start, stop_at, lambda: options.stopped() or handed.is_set(),
                                                    improved, workers)


def _top_up(search: _Search) -> None:
    """Add by priority every household that still fits on the best plan so far."""
    problem = search.problem
    search.adopt(top_up(problem, trim_escorts(problem, extract(search.m, search.best, problem))))


def _level_1b(search: _Search, result: Allocation) -> Allocation:
    """Minimise Σ weight × flight day with level 1a kept at its best value
    (docs/rules.md#level-1b-the-most-vulnerable-first); the level-1a plan stands when this finds nothing."""
    m, options = search.m, search.options
    model, xs = stage_model(search.base, m, search.best)
    model.add(weighted(xs, m.level_a) >= search.best_a).with_name("level 1a kept")
    model.minimize(weighted(xs, m.level_b))
    watch = Watch("allocation-1b", options, search.incumbent, kind="other", message="level 1b, Σ weight × day")
    seconds = search.seconds * LEVEL_1B_DETERMINISTIC_SHARE if options.deterministic else search.left(1.0)
    solver, status = run_cp(model, seconds, options, "allocation-1b", watch)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return result
    second = extract(m, [solver.value(v) for v in xs], search.problem)
    second.bound, second.status = search.bound, result.status
    return second
