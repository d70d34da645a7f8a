"""What a plan says to people: explanations for everyone left out and the plan's key figures."""
