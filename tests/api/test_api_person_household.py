"""The person page's household list (docs/web.md, "Speed"): read through the household index, sorted and
filtered in Python, it lists the members in case-number order and never an erased one, even a row marked erased
that still names its household (erasure through the API also blanks the household)."""

from __future__ import annotations

import re

from service_testkit import Api
from sqlalchemy import update
from sqlmodel import Session, col
from web_sign_in import browser

from api import models as m


def test_household_lists_members_in_order_without_the_erased(api: Api) -> None:
    op = api.import_teaching()
    officer = browser(api, "officer1")

    def members() -> list[str]:
        html = officer.get(f"/operations/{op}/people/C0001").text
        section = html[html.index('id="household-heading"'):]
        section = section[:section.index("</table>")]
        return re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a></th>', section)

    before = members()
    assert before[:2] == ["C0001", "C0002"] and before == sorted(before)
    with Session(api.client.app.state.engine) as session:  # type: ignore[attr-defined]
        session.execute(update(m.Person).where(col(m.Person.operation_id) == op, col(m.Person.case_id) == "C0002")
                        .values(erased=True))
        session.commit()
    assert members() == [c for c in before if c != "C0002"]
