"""Tests of the airline and border messages (docs/airline.md)."""
