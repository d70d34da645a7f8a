"""Allocation stage: which households fly on which flight, with escorts, and their test slots."""
