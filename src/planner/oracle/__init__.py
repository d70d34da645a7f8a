"""The independent checks of a finished plan: every hard rule, without the model's code."""
