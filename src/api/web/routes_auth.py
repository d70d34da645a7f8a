"""Sign-in, sign-out and the language choice: the only pages without a role (`session.PUBLIC_PATHS`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from api.auth import Principal
from api.deps import EngineDep, SessionDep, SettingsDep
from api.problems import ApiProblem
from api.web import i18n
from api.web.session import (
    SESSION_COOKIE,
    clear_session,
    page,
    public_form,
    safe_next,
    set_session,
    signed_in,
)
from api.web.templating import protect, render

router = APIRouter(include_in_schema=False)


@router.get("/", name="web.home")
def home(_: Annotated[Principal, Depends(page("viewer"))]) -> Response:
    return RedirectResponse("/operations", status_code=303)


@router.get("/login", name="web.login")
def login_page(request: Request, session: SessionDep, next: str = "/") -> Response:
    if signed_in(request, session) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next), "error": None, "username": ""})


@router.post("/login", name="web.login_submit")
def login_submit(request: Request, session: SessionDep, _: Annotated[object, Depends(public_form)],
                 settings: SettingsDep) -> Response:
    """Exactly the API's password login (`POST /api/v1/auth/token`: audit, timing, throttling), then the
    token it issues goes into the session cookie."""
    from api.routers.auth_users import login

    form = request.state.form
    username = str(form.get("username") or "").strip()[:64]
    password = str(form.get("password") or "")[:256]
    target = safe_next(str(form.get("next") or "/"))
    try:
        token = login(request, session, username, password, settings).access_token
    except ApiProblem as exc:
        message = exc.detail if exc.status == 429 else None  # throttled: say when to try again
        return render(request, "login.html", {"next": target, "username": username, "error": message or "wrong"},
                      status_code=exc.status)
    from api.web.dashboard import warm

    # signed in: the operations' facts and flight pages are built while the browser follows
    warm(session.get_bind(), request.app.state.pages)
    response = RedirectResponse(target, status_code=303)
    set_session(response, request, token)
    protect(response)
    return response


@router.post("/logout", name="web.logout")
def logout(request: Request, session: SessionDep, _: Annotated[object, Depends(public_form)],
           engine: EngineDep) -> Response:
    """The API's sign-out (`POST /api/v1/auth/logout`: the token is refused from now on, and audited), then
    the cookie goes."""
    principal = signed_in(request, session)
    if principal is not None:
        from api.routers.auth_users import logout as api_logout

        api_logout(request, principal, request.cookies.get(SESSION_COOKIE), engine)
    response = RedirectResponse("/login", status_code=303)
    clear_session(response, request)
    return response


@router.post("/language", name="web.language")
def choose_language(request: Request, _: Annotated[object, Depends(public_form)]) -> Response:
    code = str(request.state.form.get("lang") or "")
    target = safe_next(str(request.state.form.get("next") or "/"))
    response = RedirectResponse(target, status_code=303)
    if code in i18n.LANGUAGES:
        response.set_cookie(i18n.LANG_COOKIE, code, max_age=365 * 24 * 3600, path="/", samesite="lax",
                            httponly=True)
    return response
