"""纷享销客 (Fxiaoke / ShareCRM): Excel/CSV exports and the OpenAPI into a Dataset.

Two ways in, one mapping:

* :func:`read_export` reads the files exported from the object lists
  (对象列表 > 导出): 客户 (AccountObj), 销售订单 (SalesOrderObj), 商机
  (NewOpportunityObj, or OpportunityObj for 商机 1.0) and 人员 (PersonnelObj),
  whose headers are the tenant's Chinese labels and whose lookups are names.
* :class:`Fxiaoke` reads the same objects through the OpenAPI with the
  credentials of an enterprise self-built app, incrementally if asked.

Which source field feeds which canonical column is the TOML mapping
``fxiaoke_mapping.toml`` shipped here, which a user's file extends (custom
fields ``field_xxx__c``, tenant labels). Records whose life status (生命状态)
is not realised (作废, 审核中, ...) and deleted records are set aside into
``rejects`` with the reason; :func:`mapping_report` shows how every column was
used. See ``docs/fxiaoke.md`` for the guide.

Examples
--------
>>> from am_analytics.io.fxiaoke import Fxiaoke, read_export, mapping_report
>>> Fxiaoke(app_id="FSAID_1", app_secret="secret", permanent_code="code",
...         open_user_id="FSUID_1").base_url
'https://open.fxiaoke.com'
"""

from __future__ import annotations

from ._crm import mapping_report
from ._crm_sync import SyncState
from ._fxiaoke_api import DEFAULT_MODULES, Fxiaoke
from ._fxiaoke_export import read_export
from ._fxiaoke_records import LIFE_STATUS_LABELS
from ._http import RetryPolicy

__all__ = [
    "DEFAULT_MODULES",
    "LIFE_STATUS_LABELS",
    "Fxiaoke",
    "RetryPolicy",
    "SyncState",
    "mapping_report",
    "read_export",
]
