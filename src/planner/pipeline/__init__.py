"""Running the stages in order within one wall-clock deadline, in parallel where it pays, stoppable."""
