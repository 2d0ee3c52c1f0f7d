"""The 纷享销客 OpenAPI: access token, paged object queries, records into canonical rows.

Every call is a POST carrying the enterprise's access token, its corpId and
the open user id of the user on whose behalf the app reads
(``currentOpenUserId``); answers are HTTP 200 with ``errorCode`` 0 on success
and a vendor code otherwise. A query returns at most 100 records and its
offset may not pass 10,000, so objects are read in ``_id`` order and, before
the offset would pass that limit, continue with a filter ``_id > last id``.
Times are epoch milliseconds; the organisation's time zone (Beijing) turns
them into local dates.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import httpx
import pandas as pd

from ..config import read_toml
from ..errors import ConfigError, CrmError, CrmFormatError
from ._crm import ObjectMap, load_mapping
from ._crm_sources import assemble
from ._crm_sync import SyncState, Watermark
from ._fxiaoke_api_rows import mark_derived, owners_as_managers, read_records
from ._fxiaoke_records import CRM, FxiaokeOptions, api_fields, is_api_name
from ._http import RetryPolicy, send

if TYPE_CHECKING:
    from .._validation import OnOrphans
    from ..dataset import Dataset
    from ..schemas import ValidationRules

__all__ = ["DEFAULT_MODULES", "Fxiaoke"]

#: The objects :meth:`Fxiaoke.fetch` reads unless told otherwise.
DEFAULT_MODULES: Final = ("PersonnelObj", "AccountObj", "SalesOrderObj", "NewOpportunityObj")
DEFAULT_BASE_URL: Final = "https://open.fxiaoke.com"

_TOKEN_PATH: Final = "/cgi/corpAccessToken/get/V2"
_QUERY_PATH: Final = "/cgi/crm/v2/data/query"
_CUSTOM_QUERY_PATH: Final = "/cgi/crm/custom/v2/data/query"
_PAGE: Final = 100  # the largest limit a query accepts
_MAX_OFFSET: Final = 10_000  # deeper offsets are refused (deep paging)
_TOKEN_MARGIN: Final = 300.0  # renew a token this many seconds before it expires
_TOKEN_EXPIRED: Final = 20016
_ENV: Final = {
    "app_id": "FXIAOKE_APP_ID",
    "app_secret": "FXIAOKE_APP_SECRET",
    "permanent_code": "FXIAOKE_PERMANENT_CODE",
    "open_user_id": "FXIAOKE_OPEN_USER_ID",
}
_HINTS: Final[dict[int, str]] = {
    10006: "the appSecret is wrong: check FXIAOKE_APP_SECRET",
    10013: "the query asked past offset 10,000 (deep paging); report this as a bug",
    20016: "the access token stayed invalid after a new one was taken; check the app's status",
    20017: "the access token was missing from the call",
    30002: "the enterprise's daily API quota is used up; sync again tomorrow",
    30003: "the enterprise has bought no API quota",
}


@dataclass(frozen=True, slots=True)
class _Token:
    """An enterprise access token and when (on the client's clock) it expires."""

    value: str
    corp_id: str
    expires_at: float


class Fxiaoke:
    """A client of the 纷享销客 OpenAPI that reads CRM objects into a Dataset.

    Parameters
    ----------
    app_id, app_secret, permanent_code
        The credentials of the enterprise's self-built app (企业自建应用).
    open_user_id
        The open user id (``FSUID_…``) of the user the app reads as; that
        user's data permissions decide which records are seen.
    base_url
        The OpenAPI host.
    mapping
        A TOML file laid over the default mapping (custom fields, options).
    retry
        Retries on 429 and 5xx answers.
    timezone
        The organisation's time zone: epoch-millisecond times become naive
        local datetimes in it, and naive ``modified_since`` dates are read in it.
    clock
        Seconds on a monotonic clock, to know when the token expires (tests
        pass their own).

    Attributes
    ----------
    sync_state_
        After each :meth:`fetch`: how far each object was read; pass it as
        ``modified_since`` to read only what changed since.

    Examples
    --------
    >>> client = Fxiaoke(app_id="FSAID_1", app_secret="s3cret", permanent_code="pc",
    ...                  open_user_id="FSUID_1")
    >>> client
    Fxiaoke(app_id='FSAID_1', open_user_id='FSUID_1', base_url='https://open.fxiaoke.com', \
timezone='Asia/Shanghai')
    """

    sync_state_: SyncState

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        permanent_code: str,
        open_user_id: str,
        base_url: str = DEFAULT_BASE_URL,
        mapping: str | Path | None = None,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen, so one default is safe
        timezone: str = "Asia/Shanghai",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        given = {"app_id": app_id, "app_secret": app_secret}
        given |= {"permanent_code": permanent_code, "open_user_id": open_user_id}
        empty = [name for name, value in given.items() if not isinstance(value, str) or not value]
        if empty:
            raise ConfigError(f"Fxiaoke needs {', '.join(empty)} (non-empty text)")
        if not str(base_url).startswith(("https://", "http://")):
            raise ConfigError(f"Fxiaoke base_url must start with https://, got {base_url!r}")
        _check_timezone(timezone)
        self.app_id = app_id
        self.open_user_id = open_user_id
        self.base_url = str(base_url).rstrip("/")
        self.mapping = mapping
        self.retry = retry
        self.timezone = timezone
        self._secret = app_secret
        self._permanent_code = permanent_code
        self._clock = clock
        self._token: _Token | None = None
        self._map = load_mapping(CRM, mapping)
        self._options = FxiaokeOptions.from_mapping(self._map)

    def __repr__(self) -> str:
        return (
            f"Fxiaoke(app_id={self.app_id!r}, open_user_id={self.open_user_id!r}, "
            f"base_url={self.base_url!r}, timezone={self.timezone!r})"
        )

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        mapping: str | Path | None = None,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen, so one default is safe
        timezone: str = "Asia/Shanghai",
    ) -> Fxiaoke:
        """A client from ``FXIAOKE_APP_ID``, ``FXIAOKE_APP_SECRET``,
        ``FXIAOKE_PERMANENT_CODE``, ``FXIAOKE_OPEN_USER_ID`` (and ``FXIAOKE_BASE_URL``).

        Examples
        --------
        >>> env = {"FXIAOKE_APP_ID": "FSAID_1", "FXIAOKE_APP_SECRET": "s",
        ...        "FXIAOKE_PERMANENT_CODE": "p", "FXIAOKE_OPEN_USER_ID": "FSUID_1"}
        >>> Fxiaoke.from_env(env).open_user_id
        'FSUID_1'
        """
        env = os.environ if environ is None else environ
        missing = [variable for variable in _ENV.values() if not env.get(variable)]
        if missing:
            raise ConfigError(
                f"set the environment variable{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} to the Fxiaoke app's credentials (see docs/fxiaoke.md), "
                "or pass a credentials file"
            )
        given = {name: env[variable] for name, variable in _ENV.items()}
        if env.get("FXIAOKE_BASE_URL"):
            given["base_url"] = env["FXIAOKE_BASE_URL"]
        return cls._of(given, mapping=mapping, retry=retry, timezone=timezone)

    @classmethod
    def from_config(
        cls,
        path: str | Path,
        *,
        mapping: str | Path | None = None,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen, so one default is safe
        timezone: str = "Asia/Shanghai",
    ) -> Fxiaoke:
        """A client from the ``[fxiaoke]`` table of a TOML file (app_id, app_secret,
        permanent_code, open_user_id, optional base_url).

        Examples
        --------
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "crm.toml"
        >>> _ = path.write_text('[fxiaoke]\\napp_id = "FSAID_1"\\napp_secret = "s"\\n'
        ...                     'permanent_code = "p"\\nopen_user_id = "FSUID_1"\\n')
        >>> Fxiaoke.from_config(path).app_id
        'FSAID_1'
        """
        table = read_toml(path, what="Fxiaoke credentials file").get("fxiaoke")
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: no [fxiaoke] table; put the app's credentials under it")
        allowed = {*_ENV, "base_url"}
        unknown = sorted(set(table) - allowed)
        missing = [name for name in _ENV if name not in table]
        if unknown or missing:
            raise ConfigError(
                f"{path} [fxiaoke]: "
                + "; ".join(
                    part
                    for part in (
                        f"missing {', '.join(missing)}" if missing else "",
                        f"unknown keys {', '.join(unknown)}" if unknown else "",
                    )
                    if part
                )
                + f"; the keys are {', '.join(sorted(allowed))}"
            )
        given = {str(k): str(v) for k, v in table.items()}
        return cls._of(given, mapping=mapping, retry=retry, timezone=timezone)

    @classmethod
    def _of(
        cls,
        given: Mapping[str, str],
        *,
        mapping: str | Path | None,
        retry: RetryPolicy,
        timezone: str,
    ) -> Fxiaoke:
        """A client from credentials read from the environment or a file."""
        return cls(
            app_id=given["app_id"],
            app_secret=given["app_secret"],
            permanent_code=given["permanent_code"],
            open_user_id=given["open_user_id"],
            base_url=given.get("base_url", DEFAULT_BASE_URL),
            mapping=mapping,
            retry=retry,
            timezone=timezone,
        )

    def fetch(
        self,
        modules: Iterable[str] = DEFAULT_MODULES,
        modified_since: object = None,
        *,
        as_of: object = None,
        on_orphans: OnOrphans | None = None,
        rules: ValidationRules | None = None,
    ) -> Dataset:
        """Read CRM objects into a validated Dataset.

        Parameters
        ----------
        modules
            Object API names, each in the mapping (custom objects ``…__c``
            need an ``[objects.<name>]`` entry). Without PersonnelObj, the
            managers are derived from the records' owners.
        modified_since
            Read only records modified at or after this time: a date or
            datetime (naive means the client's ``timezone``), or the
            :class:`SyncState` of an earlier fetch (``client.sync_state_``),
            which never returns a record twice.
        as_of, rules
            As in :func:`am_analytics.load`.
        on_orphans
            Default ``"reject"`` for a full read, ``"keep"`` for an
            incremental one (a change set refers to records it does not hold).

        Returns
        -------
        Dataset
            Voided (life status not realised) and deleted records are in
            ``rejects``, so a merge with an earlier sync can drop them.
        """
        names = list(modules)
        objmaps = [self._map.object(name) for name in names]
        state = modified_since if isinstance(modified_since, SyncState) else None
        since = None if state is not None else self._since(modified_since)
        batches = []
        with httpx.Client(base_url=self.base_url) as http:
            for objmap in objmaps:
                mark = state.mark(objmap.name) if state else (Watermark(since) if since else None)
                records = self._query_all(http, objmap, since=mark.time if mark else None)
                batches.append(read_records(objmap, records, mark, self._options, self.timezone))
        parts = [b.rows for b in batches]
        report = pd.concat([b.report for b in batches], ignore_index=True)
        if not any(o.table == "managers" for o in objmaps):
            parts.append(owners_as_managers(batches))
            report = mark_derived(report, batches)
        previous = dict(state.marks) if state else {}
        self.sync_state_ = SyncState(CRM, {**previous, **{b.name: b.mark for b in batches}})
        orphans: OnOrphans = on_orphans or ("keep" if modified_since is not None else "reject")
        return assemble(parts, crm=CRM, report=report, as_of=as_of, on_orphans=orphans, rules=rules)

    # --- calls ---------------------------------------------------------------------

    def _since(self, when: object) -> pd.Timestamp | None:
        """``modified_since`` as a UTC time; naive means the organisation's zone."""
        if when is None:
            return None
        try:
            stamp = pd.Timestamp(when)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ConfigError(
                f"modified_since: cannot read {when!r} as a date or time; "
                "give e.g. '2026-07-01' or the client's sync_state_"
            ) from None
        if stamp.tzinfo is None:
            stamp = stamp.tz_localize(self.timezone)
        return stamp.tz_convert("UTC")

    def _query_all(
        self, http: httpx.Client, objmap: ObjectMap, *, since: pd.Timestamp | None
    ) -> list[dict[str, Any]]:
        """Every record of an object (modified since ``since``), page by page in ``_id`` order."""
        fields = api_fields(objmap, self._options)
        fields_of_rules = self._options.modified_fields
        modified = next((f for f in fields_of_rules if is_api_name(f)), "last_modified_time")
        base = [_filter(modified, "GTE", str(_epoch_ms(since)))] if since is not None else []
        path = _CUSTOM_QUERY_PATH if objmap.name.endswith("__c") else _QUERY_PATH
        records: list[dict[str, Any]] = []
        offset, after = 0, None
        while True:
            query = {
                "limit": _PAGE,
                "offset": offset,
                "filters": [*base, *([_filter("_id", "GT", after)] if after else [])],
                "orders": [{"fieldName": "_id", "isAsc": True}],
                "fieldProjection": fields,
            }
            data = {"dataObjectApiName": objmap.name, "search_query_info": query}
            page, total = _page(self._call(http, path, data, what=f"the query of {objmap.name}"))
            records.extend(page)
            if len(page) < _PAGE or (total is not None and offset + len(page) >= total):
                return records
            offset += _PAGE
            if offset > _MAX_OFFSET:  # deep paging: restart after the last id read
                offset, after = 0, str(page[-1].get("_id"))

    def _call(
        self, http: httpx.Client, path: str, data: dict[str, Any], *, what: str
    ) -> dict[str, Any]:
        """One API call with the enterprise's token, renewed once if the API calls it expired."""
        for attempt in (1, 2):
            token = self._valid_token(http)
            body = {
                "corpAccessToken": token.value,
                "corpId": token.corp_id,
                "currentOpenUserId": self.open_user_id,
                "data": data,
            }
            answer = self._post(http, path, body, what=what)
            code = _error_code(answer, what)
            if code == _TOKEN_EXPIRED and attempt == 1:
                self._token = None  # expired mid-sync: take a new one and ask again
                continue
            if code != 0:
                raise _vendor_error(answer, code, what)
            return answer
        raise AssertionError("unreachable")  # pragma: no cover

    def _valid_token(self, http: httpx.Client) -> _Token:
        """The cached token, or a new one when it is missing or about to expire."""
        now = self._clock()
        if self._token is not None and now < self._token.expires_at - _TOKEN_MARGIN:
            return self._token
        body = {
            "appId": self.app_id,
            "appSecret": self._secret,
            "permanentCode": self._permanent_code,
        }
        what = "the access token request"
        answer = self._post(http, _TOKEN_PATH, body, what=what)
        code = _error_code(answer, what)
        if code != 0:
            raise _vendor_error(answer, code, what)
        try:
            token = _Token(
                str(answer["corpAccessToken"]),
                str(answer["corpId"]),
                now + float(answer.get("expiresIn") or 7200),
            )
        except (KeyError, TypeError, ValueError):
            raise CrmFormatError(
                "Fxiaoke answered the access token request without corpAccessToken and "
                f"corpId (keys: {', '.join(sorted(answer))})",
                crm=CRM,
            ) from None
        self._token = token
        return token

    def _post(
        self, http: httpx.Client, path: str, body: dict[str, Any], *, what: str
    ) -> dict[str, Any]:
        """POST JSON with retries; an HTTP failure or a body that is not JSON is an error."""
        response = send(http, "POST", path, policy=self.retry, crm=CRM, json=body)
        if response.status_code != 200:
            raise CrmError(
                f"Fxiaoke answered HTTP {response.status_code} to {what} at {path}: "
                f"{response.text[:200]}; check base_url ({self.base_url}) and try again later",
                crm=CRM,
                code=str(response.status_code),
                vendor_message=response.text[:500],
                status=response.status_code,
            )
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise CrmFormatError(
                f"Fxiaoke answered {what} with something other than a JSON object: "
                f"{response.text[:200]!r}",
                crm=CRM,
                source=path,
            )
        return answer


def _check_timezone(timezone: str) -> None:
    """A ConfigError for a time zone pandas does not know."""
    try:
        pd.Timestamp("2026-01-01", tz=timezone)
    except Exception:
        raise ConfigError(
            f"timezone {timezone!r} is not a known time zone (use e.g. 'Asia/Shanghai')"
        ) from None


def _filter(field: str, operator: str, value: str | None) -> dict[str, Any]:
    """One search filter; values are always a list of strings."""
    return {"field_name": field, "field_values": [value], "operator": operator}


def _epoch_ms(stamp: pd.Timestamp) -> int:
    """A UTC time as epoch milliseconds."""
    return int(stamp.value // 1_000_000)


def _error_code(answer: Mapping[str, Any], what: str) -> int:
    """The answer's errorCode as an int (0 is success)."""
    try:
        return int(answer["errorCode"])
    except (KeyError, TypeError, ValueError):
        raise CrmFormatError(
            f"Fxiaoke answered {what} without an errorCode (keys: {', '.join(sorted(answer))})",
            crm=CRM,
        ) from None


def _vendor_error(answer: Mapping[str, Any], code: int, what: str) -> CrmError:
    """The CrmError for an answer with a non-zero errorCode."""
    message = str(answer.get("errorMessage") or answer.get("errorDescription") or "")
    hint = _HINTS.get(code, "see the Fxiaoke OpenAPI error codes")
    return CrmError(
        f"Fxiaoke refused {what}: errorCode {code} ({message or 'no message'}); {hint}",
        crm=CRM,
        code=str(code),
        vendor_message=message,
        status=200,
    )


def _page(answer: Mapping[str, Any]) -> tuple[list[dict[str, Any]], int | None]:
    """The records of one query answer and the total it reports (if any)."""
    data = answer.get("data")
    if isinstance(data, list):  # some deployments answer the list itself
        return data, None
    if not isinstance(data, dict):
        raise CrmFormatError(f"Fxiaoke answered a query without data: {str(answer)[:200]}", crm=CRM)
    records = data.get("dataList", data.get("records", []))
    total = data.get("total")
    return list(records or []), int(total) if isinstance(total, (int, str)) else None
