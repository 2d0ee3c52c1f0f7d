"""Zoho CRM: UI export files and the REST API into a validated :class:`~am_analytics.Dataset`.

Two ways in, one mapping (``zoho_mapping.toml``, with a user's TOML laid over it):

* :func:`read_export` reads the CSV/Excel files of Setup > Data Administration >
  Export (or a module's own export): ``Users``, ``Accounts``, ``Contacts``,
  ``Deals`` (``Potentials`` in older accounts);
* :class:`ZohoCRM` fetches the same modules with an OAuth self client, in full or
  incrementally (``modified_since=client.sync_state_``).

Users become managers, accounts (and contacts without an account) clients,
every deal an opportunity, and won deals sales, with amounts in the home
currency. :func:`mapping_report` shows how each field was used. See docs/zoho.md.

Examples
--------
>>> from am_analytics.io.zoho import ZohoCRM, mapping_report, read_export
>>> ZohoCRM(client_id="1000.A", client_secret="s", refresh_token="r").api_version
7
"""

from __future__ import annotations

from ._crm import mapping_report
from ._crm_sync import SyncState
from ._http import RetryPolicy
from ._zoho_api import ZohoCRM
from ._zoho_export import read_export

__all__ = ["RetryPolicy", "SyncState", "ZohoCRM", "mapping_report", "read_export"]
