"""What-if work on solved plans: variants, comparisons, sweeps, fleet sizing, events and re-planning."""
