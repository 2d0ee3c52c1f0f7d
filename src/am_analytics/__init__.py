"""am_analytics: account-manager analytics on validated sales-organisation tables.

Calling rule: a function over several of the dataset's tables takes the
:class:`Dataset` first, and a table you may substitute for one of its own
(an edited training table, say) is a keyword argument defaulting to the
dataset's; a function over one frame (a table or a result) takes that frame
first, any other frame by keyword. ``period``, ``periods``, ``as_of`` and the
options are always keyword arguments: ``score_managers(data, period="2026Q3")``,
``portfolio(features, clients=data.clients)``. The earlier calling forms still
run for one release, with a :class:`FutureWarning` that shows the new call.

>>> import am_analytics
>>> data = am_analytics.load_sample()
>>> data.sales.amount.sum() > 0
np.True_
"""

from .dataset import Dataset, from_frames, load, save
from .errors import (
    AmAnalyticsError,
    ConfigError,
    CrmError,
    CrmFormatError,
    DataValidationError,
    InputFileError,
    MissingTableError,
    OutputPathError,
)
from .evaluation import (
    Evaluation,
    EvaluationConfig,
    apply_overrides,
    evaluate,
    load_evaluation_config,
    read_overrides,
)
from .io.aliases import header_aliases
from .metrics import list_metrics, manager_metrics
from .model_file import ModelFile, read_model, write_model
from .sample import generate, load_sample
from .schemas import ValidationRules
from .scoring import Criterion, FittedScorecard, Scorecard, load_scorecard, score_managers

__version__ = "0.1.0"

__all__ = [
    "AmAnalyticsError",
    "ConfigError",
    "Criterion",
    "CrmError",
    "CrmFormatError",
    "DataValidationError",
    "Dataset",
    "Evaluation",
    "EvaluationConfig",
    "FittedScorecard",
    "InputFileError",
    "MissingTableError",
    "ModelFile",
    "OutputPathError",
    "Scorecard",
    "ValidationRules",
    "__version__",
    "apply_overrides",
    "evaluate",
    "from_frames",
    "generate",
    "header_aliases",
    "list_metrics",
    "load",
    "load_evaluation_config",
    "load_sample",
    "load_scorecard",
    "manager_metrics",
    "read_model",
    "read_overrides",
    "save",
    "score_managers",
    "write_model",
]
