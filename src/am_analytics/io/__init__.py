"""Reading sources into canonical tables: files (:mod:`.files`), header aliases
(:mod:`.aliases`), cell readers (:mod:`.parsing`), and the CRM connectors
:mod:`.zoho` and :mod:`.fxiaoke` (imported on use: they bring an HTTP client)."""

from ._crm import mapping_report, mapping_summary
from ._crm_sync import SyncState, Watermark

__all__ = ["SyncState", "Watermark", "mapping_report", "mapping_summary"]
