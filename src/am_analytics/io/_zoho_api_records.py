"""The Zoho CRM API's records and answers: fields to ask for, JSON flattened, errors in words."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

import httpx
import numpy as np
import pandas as pd

from ..errors import ConfigError, CrmError, CrmFormatError
from ._crm import ObjectMap
from ._zoho_export import CRM, ZohoOptions

#: The API accepts at most this many names in ``fields``.
MAX_FIELDS: Final = 50
# An API field name as listed in ``fields``: ``Amount``, ``Owner.id``, ``Region__c``
# (export labels have spaces, legacy export ids are upper case).
_API_NAME: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z_]+)?$")
_HINTS: Final = {
    "NO_PERMISSION": "give the Zoho user of the refresh token permission to read this module, "
    "or leave the module out of modules=",
    "OAUTH_SCOPE_MISMATCH": "create a refresh token with the scopes "
    "ZohoCRM.modules.READ,ZohoCRM.users.READ",
    "INVALID_TOKEN": "the access token was refused again right after a refresh; "
    "create a new refresh token",
    "AUTHENTICATION_FAILURE": "the access token was refused again right after a refresh; "
    "create a new refresh token",
    "TOO_MANY_REQUESTS": "the API credits or concurrency limit are used up; try again later",
    "INVALID_MODULE": "check the module's API name (Setup > Developer Space > APIs)",
}


def api_fields(objmap: ObjectMap, options: ZohoOptions) -> list[str]:
    """The ``fields`` to ask for: the mapping's API names, stage, currency and times.

    Raises
    ------
    ConfigError
        More than 50 fields (the API's limit).

    Examples
    --------
    >>> from am_analytics.io._crm import load_mapping
    >>> mapping = load_mapping("zoho")
    >>> api_fields(mapping.object("Accounts"), ZohoOptions.from_mapping(mapping))[:4]
    ['Owner', 'Account_Name', 'Industry', 'Billing_State']
    """
    names = [*(n for names in objmap.columns.values() for n in names), "Stage"]
    for option in ("currency_fields", "exchange_rate_fields", "modified_time_fields"):
        names.extend(getattr(options, option))
    names.extend(options.owner_name_fields)
    if objmap.table == "opportunities":
        names.extend(options.deal_contact_fields)
    if objmap.name == "Contacts":
        names.extend(options.contact_account_fields)
    if objmap.table != "opportunities":
        names.remove("Stage")
    fields = [n.split(".")[0] for n in names if _is_api_name(n)]
    fields = list(dict.fromkeys(f for f in fields if f != "id"))
    if len(fields) > MAX_FIELDS:
        raise ConfigError(
            f"the mapping of {objmap.name} asks Zoho CRM for {len(fields)} fields; the API "
            f"takes at most {MAX_FIELDS} in one call. Map fewer fields in the mapping file"
        )
    return fields


def _is_api_name(name: str) -> bool:
    """Whether a mapping entry is an API name (not an export label or legacy id)."""
    return bool(_API_NAME.match(name)) and not name.isupper()


def flatten(records: list[dict[str, Any]], objmap: ObjectMap, options: ZohoOptions) -> pd.DataFrame:
    """Records JSON as a frame whose lookups read ``Owner.id``, ``Account_Name.id``, ...

    The index is each record's 1-based position. Lookups that are empty in
    every record, and a module with no records, still get their mapped columns.

    Examples
    --------
    >>> from am_analytics.io._crm import load_mapping
    >>> mapping = load_mapping("zoho")
    >>> deals = [{"id": "7", "Owner": {"id": "1", "name": "Li"}, "Account_Name": None}]
    >>> frame = flatten(deals, mapping.object("Deals"), ZohoOptions.from_mapping(mapping))
    >>> frame[["id", "Owner.id", "Account_Name.id"]]
      id Owner.id Account_Name.id
    1  7        1             NaN
    """
    frame = pd.json_normalize(records, sep=".") if records else pd.DataFrame()
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    first_names = _required_names(objmap)
    for name in _api_columns(objmap, options):
        lookup = name.split(".")[0]
        dotted = "." in name and (lookup in frame or frame.empty)
        if name not in frame and (dotted or (frame.empty and name in first_names)):
            frame[name] = pd.Series(np.nan, index=frame.index, dtype="object")
    # A lookup empty in some records leaves a column of nulls beside its ``.id`` columns.
    stray = [c for c in frame if frame[c].isna().all() and _has_parts(frame, str(c))]
    return frame.drop(columns=stray)


def _api_columns(objmap: ObjectMap, options: ZohoOptions) -> list[str]:
    """The API names (lookups with their part) the mapping may read from this module."""
    names = [n for names in objmap.columns.values() for n in names]
    names += [*options.owner_name_fields, *options.deal_contact_fields]
    names += list(options.contact_account_fields)
    return list(dict.fromkeys(n for n in names if _is_api_name(n)))


def _has_parts(frame: pd.DataFrame, column: str) -> bool:
    """Whether ``frame`` has columns flattened from the object ``column`` (``column.id``)."""
    return any(str(other).startswith(f"{column}.") for other in frame.columns)


def _required_names(objmap: ObjectMap) -> set[str]:
    """The first API name of each mapped column (the columns an empty module still has)."""
    return {next((n for n in names if _is_api_name(n)), "") for names in objmap.columns.values()}


# --- answers ----------------------------------------------------------------------------


def _records_of(body: Mapping[str, Any], key: str, url: str) -> list[dict[str, Any]]:
    """The records list of an answer, or a CrmFormatError if it has none."""
    records = body.get(key)
    if not isinstance(records, list):
        raise CrmFormatError(
            f"Zoho CRM answered {_path(url)} without a {key!r} list (keys: "
            f"{', '.join(map(str, body))}); check api_version and the API domain",
            crm=CRM,
            source=_path(url),
        )
    return records


def _first_column(frame: pd.DataFrame, names: Iterable[str]) -> str | None:
    return next((n for n in names if n in frame), None)


def _utc_times(frame: pd.DataFrame, column: str | None) -> pd.Series:
    """Modification times in UTC (NaT where missing)."""
    if column is None:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    return pd.to_datetime(frame[column], format="ISO8601", utc=True, errors="coerce")


def _json(response: httpx.Response) -> Any:
    """The JSON of an answer, or None when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return None


def _path(url: str) -> str:
    """The path of a URL, for messages (no host, no query)."""
    return "/" + url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0]


def _vendor_error(response: httpx.Response, body: Any, what: str) -> CrmError:
    """A CrmError from a Zoho error answer: HTTP status, code, message and a fix."""
    body = body if isinstance(body, dict) else {}
    code = str(body.get("code") or response.status_code)
    message = body.get("message")
    hint = _HINTS.get(code, "see Zoho CRM's API status codes for what to do")
    said = f": {message}" if message else ""
    return CrmError(
        f"Zoho CRM refused {what} (HTTP {response.status_code}, {code}{said}); {hint}",
        crm=CRM,
        code=code,
        vendor_message=str(message) if message is not None else None,
        status=response.status_code,
    )


def _token_error(response: httpx.Response, body: Any, accounts_url: str) -> CrmError:
    """A CrmError for a refresh that gave no access token (Zoho answers 200 with an error)."""
    body = body if isinstance(body, dict) else {}
    code = str(body.get("error") or body.get("code") or response.status_code)
    return CrmError(
        f"Zoho accounts server {accounts_url} gave no access token for the refresh token "
        f"(HTTP {response.status_code}, {code}); create a new refresh token for a self client "
        "at https://api-console.zoho.com, and check that the accounts URL is the one of your "
        "data centre (accounts.zoho.eu, accounts.zoho.in, ...)",
        crm=CRM,
        code=code,
        vendor_message=str(body.get("error_description") or body.get("error") or "") or None,
        status=response.status_code,
    )
