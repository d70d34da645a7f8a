"""The planner's data: the scenario it reads, the plan it writes, reason codes, violations and options."""
