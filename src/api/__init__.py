"""The charterplan planning service: FastAPI app, SQLModel storage, solve jobs, imports and exports.

The service builds a `planner.Scenario` from stored rows and stores the `planner.Plan` it gets back; all
planning rules live in the `planner` package, never here. The app factory is `api.app.create_app`.
"""
