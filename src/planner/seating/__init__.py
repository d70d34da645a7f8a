"""Seating stage: seat maps, a seat for every passenger and escort, and seat map rendering."""
