"""The departure day: check-in marks, standby households for freed seats, the final manifest and the events a
re-plan learns from (docs/departure-day.md)."""
