"""Ground transfers: the vehicle trips that bring households from their location to their flight's airport
(docs/transfers.md)."""
