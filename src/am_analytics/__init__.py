"""am_analytics: account-manager analytics on validated sales-organisation tables.

>>> import am_analytics
>>> data = am_analytics.load_sample()
>>> data.sales.amount.sum() > 0
np.True_
"""

from .dataset import Dataset, from_frames, load
from .errors import (
    AmAnalyticsError,
    ConfigError,
    CrmFormatError,
    DataValidationError,
    InputFileError,
    MissingTableError,
)
from .io.aliases import header_aliases
from .sample import generate, load_sample
from .schemas import ValidationRules

__version__ = "0.1.0"

__all__ = [
    "AmAnalyticsError",
    "ConfigError",
    "CrmFormatError",
    "DataValidationError",
    "Dataset",
    "InputFileError",
    "MissingTableError",
    "ValidationRules",
    "__version__",
    "from_frames",
    "generate",
    "header_aliases",
    "load",
    "load_sample",
]
