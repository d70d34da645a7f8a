"""The `charterplan` command: the planner's subcommands plus the service's (serve, users)."""
