"""Every console route behind Airflow's own authentication and authorisation.

* **Who**: :data:`airflow.api_fastapi.core_api.security.GetUserDep` — the auth manager's JWT from the
  ``Authorization: Bearer`` header, or the UI session's ``_token`` cookie. Anonymous → 401, a bad
  token → 403; no data is read before this dependency passed.
* **May they**: reading needs read access to DAGs (``is_authorized_dag(method="GET")``), the finding
  actions need edit access (``method="PUT"``): the governance data is what the Fingertip DAGs produce
  and act on, so the console follows the DAG permissions. With the simple auth manager a ``viewer``
  reads, a ``user``/``op``/``admin`` acts. (``is_authorized_custom_view`` would be the natural call,
  but the simple auth manager answers it for GET only, whatever the method.)
* **Cross-site requests**: a state-changing call authenticated by the session cookie must carry the
  header ``X-Fingertip-CSRF`` with :func:`csrf_token` of that cookie (a value derived from the
  session, shown to the console's own pages only; a cross-site page can neither read it nor set a
  custom header without a CORS preflight that the api-server refuses). A call with a Bearer token is
  not subject to it: browsers never attach that header on their own.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Any, Literal

from fastapi import Depends, HTTPException, Request, status

CSRF_HEADER = "X-Fingertip-CSRF"


def _cookie_name() -> str:
    from airflow.api_fastapi.auth.managers.base_auth_manager import COOKIE_NAME_JWT_TOKEN

    return COOKIE_NAME_JWT_TOKEN


def csrf_token(request: Request) -> str:
    """The anti-CSRF token of the request's session ('' without a session cookie)."""
    cookie = request.cookies.get(_cookie_name()) or ""
    if not cookie:
        return ""
    return hmac.new(b"fingertip-console-csrf", cookie.encode(), hashlib.sha256).hexdigest()


async def current_user(request: Request) -> Any:
    """The authenticated Airflow user (401/403 raised by Airflow's own dependency otherwise)."""
    from airflow.api_fastapi.core_api.security import get_user

    bearer = None
    auth = request.headers.get("authorization")
    if auth and auth.lower().startswith("bearer "):
        from fastapi.security import HTTPAuthorizationCredentials

        bearer = HTTPAuthorizationCredentials(scheme="Bearer", credentials=auth[7:].strip())
    return await get_user(request, None, bearer)


def _authorised(user: Any, method: Literal["GET", "PUT"]) -> bool:
    from airflow.api_fastapi.app import get_auth_manager

    return bool(get_auth_manager().is_authorized_dag(method=method, user=user))


async def reader(user: Annotated[Any, Depends(current_user)]) -> Any:
    if not _authorised(user, "GET"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "没有读取权限 / Forbidden")
    return user


async def editor(request: Request, user: Annotated[Any, Depends(current_user)]) -> Any:
    if not _authorised(user, "PUT"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "没有编辑权限（只读用户不能处理问题） / Forbidden")
    auth = request.headers.get("authorization") or ""
    if not auth.lower().startswith("bearer "):
        expected = csrf_token(request)
        given = request.headers.get(CSRF_HEADER) or ""
        if not expected or not hmac.compare_digest(expected, given):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "跨站请求校验失败（缺少或错误的 CSRF 令牌） / CSRF check failed")
    return user


def user_name(user: Any) -> str:
    name = user.get_name() if hasattr(user, "get_name") else str(user)
    return str(name)[:100]


Reader = Annotated[Any, Depends(reader)]
Editor = Annotated[Any, Depends(editor)]
