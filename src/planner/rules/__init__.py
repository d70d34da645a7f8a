"""Planning rules shared by the model and the oracle: gates, test windows, cabin capacity, distancing."""
