"""The Zoho CRM REST API client: OAuth refresh tokens, paged record lists, incremental sync.

One call of :meth:`ZohoCRM.fetch` reads the users and the records of each
module (``GET /crm/v{N}/{Module}``, 200 a page, pages 1..10 and then
``page_token``: the API's way past 2,000 records), flattens the JSON so that
lookups read like the export's columns (``Owner.id``), and converts them with
the same mapping as the UI exports.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import httpx
import numpy as np
import pandas as pd

from ..config import read_toml
from ..errors import ConfigError, CrmFormatError
from ..schemas import key_columns
from ._crm import ObjectMap, load_mapping
from ._crm_sources import set_aside_rows
from ._crm_sync import SyncState, Watermark
from ._http import RetryPolicy, send
from ._zoho_api_records import (
    _first_column,
    _json,
    _path,
    _records_of,
    _token_error,
    _utc_times,
    _vendor_error,
    api_fields,
    flatten,
)
from ._zoho_export import CRM, RecordBatch, ZohoOptions, build_dataset, strip_id_prefix

if TYPE_CHECKING:
    from .._validation import OnOrphans
    from ..dataset import Dataset
    from ..schemas import ValidationRules

__all__ = ["ZohoCRM"]

#: Records per page: the API's maximum.
PER_PAGE: Final = 200
#: Pages reachable with ``page``; past them (2,000 records) only ``page_token`` works.
PAGE_LIMIT: Final = 10
#: Refresh the access token when less than this many seconds of it remain.
TOKEN_MARGIN: Final = 300.0
#: 401 codes after which one token refresh is worth a try.
_EXPIRED: Final = frozenset({"INVALID_TOKEN", "AUTHENTICATION_FAILURE"})
_ENV: Final = {
    "client_id": "ZOHO_CLIENT_ID",
    "client_secret": "ZOHO_CLIENT_SECRET",
    "refresh_token": "ZOHO_REFRESH_TOKEN",
    "accounts_url": "ZOHO_ACCOUNTS_URL",
    "api_domain": "ZOHO_API_DOMAIN",
}
_REQUIRED: Final = ("client_id", "client_secret", "refresh_token")


class ZohoCRM:
    """A read-only client of the Zoho CRM REST API that fetches a :class:`~am_analytics.Dataset`.

    Parameters
    ----------
    client_id, client_secret, refresh_token
        Of a self client made at https://api-console.zoho.com with the scopes
        ``ZohoCRM.modules.READ,ZohoCRM.users.READ`` (see docs/zoho.md).
    accounts_url
        The accounts server of the organisation's data centre
        (``https://accounts.zoho.eu``, ``https://accounts.zoho.com.cn``, ...).
    api_domain
        The API server; by default the one the token answer names.
    api_version
        The ``v{N}`` of ``/crm/v{N}/`` (2 to 8).
    mapping
        A mapping TOML laid over the default one (as for :func:`read_export`).
    retry
        Retries of rate-limited (429) and failed (5xx) calls.
    timezone
        Convert the API's datetimes (written with the user's UTC offset) to this
        IANA zone; without it they keep the wall-clock time they were written with.

    Attributes
    ----------
    sync_state_
        After each :meth:`fetch`: where it stopped per module, for the next
        ``fetch(modified_since=client.sync_state_)``.

    Examples
    --------
    >>> client = ZohoCRM(client_id="1000.ABC", client_secret="s3cret", refresh_token="1000.r")
    >>> client
    ZohoCRM(accounts_url='https://accounts.zoho.com', api_domain=None, api_version=7, timezone=None)
    """

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        accounts_url: str = "https://accounts.zoho.com",
        api_domain: str | None = None,
        api_version: int = 7,
        mapping: str | Path | None = None,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen, so one shared default is safe
        timezone: str | None = None,
    ) -> None:
        for name, value in (
            ("client_id", client_id),
            ("client_secret", client_secret),
            ("refresh_token", refresh_token),
        ):
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"ZohoCRM needs a {name} (a non-empty string)")
        if not isinstance(api_version, int) or not 2 <= api_version <= 8:
            raise ConfigError(
                f"api_version must be a whole number from 2 to 8, got {api_version!r}"
            )
        _check_timezone(timezone)
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self.accounts_url = accounts_url.rstrip("/")
        self.api_domain = api_domain.rstrip("/") if api_domain else None
        self.api_version = api_version
        self.mapping = load_mapping(CRM, mapping)
        self.options = ZohoOptions.from_mapping(self.mapping)
        self.retry = retry
        self.timezone = timezone
        self.sync_state_: SyncState | None = None
        self._token: str | None = None
        self._token_expires = 0.0
        self._http: httpx.Client | None = None

    def __repr__(self) -> str:
        return (
            f"ZohoCRM(accounts_url={self.accounts_url!r}, api_domain={self.api_domain!r}, "
            f"api_version={self.api_version}, timezone={self.timezone!r})"
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> ZohoCRM:
        """A client from the ``ZOHO_*`` environment variables.

        ``ZOHO_CLIENT_ID``, ``ZOHO_CLIENT_SECRET`` and ``ZOHO_REFRESH_TOKEN`` are
        required; ``ZOHO_ACCOUNTS_URL`` and ``ZOHO_API_DOMAIN`` are optional.
        Other keyword arguments go to :class:`ZohoCRM`.

        Examples
        --------
        >>> ZohoCRM.from_env({"ZOHO_CLIENT_ID": "1000.ABC", "ZOHO_CLIENT_SECRET": "x"})
        Traceback (most recent call last):
        ...
        am_analytics.errors.ConfigError: environment variable ZOHO_REFRESH_TOKEN is not set; ...
        """
        env = os.environ if environ is None else environ
        given = {k: env[v] for k, v in _ENV.items() if env.get(v, "").strip()}
        missing = [_ENV[k] for k in _REQUIRED if k not in given]
        if missing:
            raise ConfigError(
                f"environment variable{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                f"{'are' if len(missing) > 1 else 'is'} not set; set "
                f"{', '.join(_ENV[k] for k in _REQUIRED)} (and ZOHO_ACCOUNTS_URL outside the US "
                "data centre), or give a credentials file"
            )
        return cls(**given, **options)  # type: ignore[arg-type]  # all str-valued keys

    @classmethod
    def from_config(cls, path: str | Path, **options: Any) -> ZohoCRM:
        """A client from the ``[zoho]`` table of a TOML file.

        The table holds ``client_id``, ``client_secret``, ``refresh_token`` and
        optionally ``accounts_url``, ``api_domain``, ``api_version`` and ``timezone``.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "zoho.toml"
        >>> _ = path.write_text(
        ...     '[zoho]\\nclient_id = "1000.A"\\nclient_secret = "s"\\nrefresh_token = "r"\\n'
        ...     'accounts_url = "https://accounts.zoho.eu"\\n'
        ... )
        >>> ZohoCRM.from_config(path).accounts_url
        'https://accounts.zoho.eu'
        """
        table = read_toml(path, what="Zoho credentials file").get("zoho")
        if not isinstance(table, dict):
            raise ConfigError(
                f"{path} has no [zoho] table; write one with client_id, client_secret "
                "and refresh_token"
            )
        allowed = {*_ENV, "api_version", "timezone"}
        unknown = sorted(set(table) - allowed)
        missing = [k for k in _REQUIRED if k not in table]
        if unknown or missing:
            raise ConfigError(
                f"{path} [zoho]: "
                + "; ".join(
                    [f"unknown keys {', '.join(unknown)}"] * bool(unknown)
                    + [f"missing {', '.join(missing)}"] * bool(missing)
                )
                + f"; the keys are {', '.join(sorted(allowed))}"
            )
        return cls(**table, **options)

    # --- fetching ---------------------------------------------------------------------

    def fetch(
        self,
        modules: Iterable[str] = ("Users", "Accounts", "Deals"),
        modified_since: Any = None,
        *,
        as_of: Any = None,
        on_orphans: OnOrphans | None = None,
        rules: ValidationRules | None = None,
    ) -> Dataset:
        """Fetch the records of ``modules`` into a Dataset.

        Parameters
        ----------
        modules
            Zoho modules by API name: ``Users``, ``Accounts``, ``Deals``, and
            ``Contacts`` for organisations that sell to people. Without
            ``Users``, managers are derived from the records' owners.
        modified_since
            Fetch only the records modified since then: a date or time (naive
            means the ``timezone``, or UTC without one) or the :attr:`sync_state_`
            of an earlier fetch. Records deleted since then become rejects
            (check ``deleted``). Users are always fetched in full.
        as_of, rules
            As for :func:`am_analytics.load`.
        on_orphans
            ``"reject"`` or ``"keep"`` references to unknown ids; by default
            ``"keep"`` on an incremental fetch (unchanged accounts are not
            fetched) and ``"reject"`` on a full one.

        Raises
        ------
        CrmError
            Zoho refused the refresh token or a request (code and message in it).
        ConfigError
            An unknown module, or more than 50 fields to ask for.
        """
        modules = list(modules)
        objmaps = [self.mapping.object(m) for m in modules]
        fields = {m.name: api_fields(m, self.options) for m in objmaps if m.table != "managers"}
        previous = modified_since if isinstance(modified_since, SyncState) else None
        since = None if previous is not None else self._since(modified_since)
        incremental = modified_since is not None
        marks = dict(previous.marks) if previous is not None else {}
        batches = []
        with httpx.Client() as http:
            self._http = http
            try:
                for objmap in objmaps:
                    if objmap.table == "managers":
                        batches.append(self._users_batch(objmap))
                        continue
                    mark = previous.mark(objmap.name) if previous else _mark_at(since)
                    batch, new_mark = self._module_batch(objmap, fields[objmap.name], mark)
                    batches.append(batch)
                    if new_mark is not None:
                        marks[objmap.name] = new_mark
            finally:
                self._http = None
        self.sync_state_ = SyncState(CRM, marks)
        return build_dataset(
            batches,
            mapping=self.mapping,
            options=self.options,
            timezone=self.timezone,
            as_of=as_of,
            on_orphans=on_orphans or ("keep" if incremental else "reject"),
            rules=rules,
        )

    def _since(self, value: Any) -> pd.Timestamp | None:
        """``modified_since`` as a UTC time (naive: in ``timezone``, else UTC)."""
        if value is None:
            return None
        try:
            stamp = pd.Timestamp(value)
        except (TypeError, ValueError):
            raise ConfigError(
                f"modified_since {value!r} is not a date or time; write it like "
                "2026-07-01 or 2026-07-01T09:00:00+08:00, or pass client.sync_state_"
            ) from None
        if stamp.tzinfo is None:
            stamp = stamp.tz_localize(self.timezone or "UTC")
        return stamp.tz_convert("UTC")

    def _module_batch(
        self, objmap: ObjectMap, fields: list[str], mark: Watermark | None
    ) -> tuple[RecordBatch, Watermark | None]:
        """One module's records (new since ``mark``) and deletions, and the next watermark."""
        url = self._url(objmap.name)
        headers = self._modified_header(mark)
        records = self._pages(url, {"fields": ",".join(fields)}, headers, key="data")
        frame = flatten(records, objmap, self.options)
        modified = _first_column(frame, self.options.modified_time_fields)
        times = _utc_times(frame, modified)
        ids = strip_id_prefix(frame["id"]) if "id" in frame else pd.Series("", index=frame.index)
        base = mark if mark is not None else Watermark(pd.Timestamp(0, tz="UTC"))
        new = base.is_new(times, ids) if mark is not None else np.ones(len(frame), dtype=bool)
        aside = set_aside_rows([], [], "", [], [])
        if mark is not None:
            aside = self._deleted(objmap, headers, first_row=len(frame) + 1)
        new_mark = base.advance(times[new], ids[new]) if new.any() else mark
        batch = RecordBatch(objmap.name, f"Zoho CRM {objmap.name}", frame[new], aside, api=True)
        return batch, new_mark

    def _users_batch(self, objmap: ObjectMap) -> RecordBatch:
        """Every user (``users_type``): managers, always in full."""
        url = f"{self._domain()}/crm/v{self.api_version}/users"
        params = {"type": self.options.users_type}
        records = self._pages(url, params, {}, key="users")
        frame = flatten(records, objmap, self.options)
        return RecordBatch(objmap.name, f"Zoho CRM {objmap.name}", frame, api=True)

    def _deleted(self, objmap: ObjectMap, headers: dict[str, str], *, first_row: int) -> Any:
        """Records deleted since the watermark, as set-aside rows (check ``deleted``)."""
        url = self._url(objmap.name) + "/deleted"
        records = self._pages(url, {"type": "all"}, headers, key="data", paged_by_token=False)
        if not records:
            return set_aside_rows([], [], "", [], [])
        gone = pd.json_normalize(records, sep=".")
        by = gone["deleted_by.name"] if "deleted_by.name" in gone else pd.Series(None, gone.index)
        kind = gone["type"] if "type" in gone else pd.Series("", index=gone.index)
        reasons = (
            "deleted in Zoho CRM at "
            + gone["deleted_time"].astype("str")
            + " by "
            + by.fillna("an unknown user").astype("str")
            + " ("
            + kind.fillna("").astype("str")
            + ")"
        )
        return set_aside_rows(
            np.arange(first_row, first_row + len(gone)),
            strip_id_prefix(gone["id"]),
            "deleted",
            reasons.to_numpy(dtype=object),
            key_columns(objmap.table)[0],
        )

    def _modified_header(self, mark: Watermark | None) -> dict[str, str]:
        """The If-Modified-Since header for a watermark (ISO 8601 with an offset)."""
        if mark is None:
            return {}
        stamp = mark.time.tz_convert(self.timezone) if self.timezone else mark.time
        return {"If-Modified-Since": stamp.isoformat(timespec="seconds")}

    # --- HTTP -----------------------------------------------------------------------------

    def _url(self, module: str) -> str:
        return f"{self._domain()}/crm/v{self.api_version}/{module}"

    def _domain(self) -> str:
        """The API domain, from the token answer unless it was given."""
        if self.api_domain is None:
            self._access_token()
        assert self.api_domain is not None  # set by the token answer, or an error raised
        return self.api_domain

    def _pages(
        self,
        url: str,
        params: Mapping[str, str],
        headers: Mapping[str, str],
        *,
        key: str,
        paged_by_token: bool = True,
    ) -> list[dict[str, Any]]:
        """Every record of a list: pages 1..10, then ``page_token`` (past 2,000 records)."""
        records: list[dict[str, Any]] = []
        page, token = 1, None
        while True:
            where = {"page_token": token} if token else {"page": str(page)}
            body = self._get(url, {**params, "per_page": str(PER_PAGE), **where}, headers)
            if body is None:
                return records
            records.extend(_records_of(body, key, url))
            info = body.get("info") or {}
            if not info.get("more_records"):
                return records
            if paged_by_token and (token is not None or page >= PAGE_LIMIT):
                token = info.get("next_page_token")
                if not token:
                    raise CrmFormatError(
                        f"Zoho CRM says {_path(url)} has more records past {len(records)} "
                        "but gave no next_page_token; try api_version=7 or later",
                        crm=CRM,
                        source=_path(url),
                    )
            else:
                page += 1

    def _get(
        self, url: str, params: Mapping[str, str], headers: Mapping[str, str]
    ) -> dict[str, Any] | None:
        """One GET with a fresh token: its JSON, or None for 204/304 (no records)."""
        refreshed = False
        while True:
            auth = {"Authorization": f"Zoho-oauthtoken {self._access_token()}"}
            response = self._send("GET", url, params=params, headers={**headers, **auth})
            if response.status_code in (204, 304) or not response.content:
                return None
            body = _json(response)
            code = str(body.get("code", "")) if isinstance(body, dict) else ""
            if response.status_code == 401 and code in _EXPIRED and not refreshed:
                # Expired (or revoked mid-sync): one new access token, then the same call.
                self._token, refreshed = None, True
                continue
            if response.status_code >= 400 or not isinstance(body, dict):
                raise _vendor_error(response, body, f"GET {_path(url)}")
            if body.get("status") == "error":
                raise _vendor_error(response, body, f"GET {_path(url)}")
            return body

    def _access_token(self) -> str:
        """The current access token, refreshed when less than TOKEN_MARGIN seconds remain."""
        if self._token is not None and time.monotonic() < self._token_expires:
            return self._token
        url = f"{self.accounts_url}/oauth/v2/token"
        form = {
            "refresh_token": self._refresh_token,
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            "grant_type": "refresh_token",
        }
        response = self._send("POST", url, data=form)
        body = _json(response)
        if not isinstance(body, dict) or not body.get("access_token"):
            raise _token_error(response, body, self.accounts_url)
        self._token = str(body["access_token"])
        lifetime = float(body.get("expires_in") or 3600)
        self._token_expires = time.monotonic() + lifetime - TOKEN_MARGIN
        if self.api_domain is None:
            self.api_domain = str(body.get("api_domain") or "https://www.zohoapis.com").rstrip("/")
        return self._token

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One call through the retry policy, on this fetch's connection pool."""
        if self._http is None:
            with httpx.Client() as http:
                return send(http, method, url, policy=self.retry, crm=CRM, **kwargs)
        return send(self._http, method, url, policy=self.retry, crm=CRM, **kwargs)


# --- helpers ----------------------------------------------------------------------------


def _mark_at(since: pd.Timestamp | None) -> Watermark | None:
    return Watermark(since) if since is not None else None


def _check_timezone(timezone: str | None) -> None:
    if timezone is None:
        return
    try:
        pd.Timestamp("2026-01-01", tz=timezone)
    except Exception:
        raise ConfigError(
            f"timezone {timezone!r} is not a known time zone (use an IANA name such as "
            "'Asia/Shanghai')"
        ) from None
