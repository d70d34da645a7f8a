"""`charterplan serve --demo`: load the bundled scenarios as operations when the store is empty."""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from api import models as m
from api.audit import audit
from api.scenario_store import store_scenario
from api.settings import Settings
from planner.io.loading import ScenarioInputError, load_scenario

log = logging.getLogger("api")


def load_demo(engine: Engine, settings: Settings) -> int:
    with Session(engine) as session:
        if session.exec(select(func.count()).select_from(m.Operation)).one():
            log.info("demo: the store already holds operations; nothing loaded")
            return 0
        loaded = 0
        for name in settings.demo_scenarios:
            folder = settings.scenarios_dir / name
            if not (folder / "scenario.yaml").is_file():
                log.warning("demo: scenario %s not found in %s", name, settings.scenarios_dir)
                continue
            try:
                scenario = load_scenario(folder)
            except ScenarioInputError as exc:
                log.warning("demo: scenario %s has %d input error(s); skipped", name, len(exc.issues))
                continue
            op = store_scenario(session, scenario)
            audit(session, "system", "import", "scenario", op.id, operation_id=op.id, demo=name,
                  people=len(scenario.people))
            session.commit()
            loaded += 1
            log.info("demo: loaded %s (%d people)", name, len(scenario.people))
        return loaded
