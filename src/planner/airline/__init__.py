"""Airline and border messages of a plan: PNL and ADL for departure control, PAXLST for advance passenger
information (docs/airline.md)."""
