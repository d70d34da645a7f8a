"""Gates family (planner.rules.gates): `gates`, `destination_served`, `provisional`."""

from planner.model.reasons import reason
from planner.oracle.validate import validate
from rules.kit import board, found, person, world


def test_a_passenger_who_passes_every_gate_keeps_the_rule():
    s = world([person("A")])
    assert validate(s, board(s, ["A"])) == []


def test_a_passenger_failing_a_gate_breaks_gates_naming_the_gate():
    s = world([person("A", consent="none")])
    plan = board(s, ["A"])
    assert found(s, plan) == {"gates"}
    assert [v.message.split(":")[0] for v in validate(s, plan)] == ["gate.consent"]


def test_a_flight_not_stopping_at_the_destination_breaks_destination_served():
    s = world([person("A", destination="DAM")])
    assert found(s, board(s, ["A"])) == {"destination_served"}


def test_provisional_lists_exactly_the_pending():
    s = world([person("A", fitness="pending")])
    assert validate(s, board(s, ["A"])) == []
    assert found(s, board(s, ["A"], provisional=[])) == {"provisional"}


def test_a_true_gate_reason_keeps_the_explanation_rules():
    s = world([person("A", consent="none")])
    ok = board(s, [], out={"A": [reason("gate.consent", "F1", detail="")]})
    assert validate(s, ok) == []
