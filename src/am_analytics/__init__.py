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

from typing import TYPE_CHECKING

from ._lazy import lazy_names
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

if TYPE_CHECKING:
    from .dataset import Dataset, from_frames, load, save
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

#: Where each name of the public API is defined. The modules are imported on a
#: name's first use (as SPEC 1 of the Scientific Python project describes), so
#: ``import am_analytics`` costs no pandas, pandera or scipy, and a command's
#: ``--help`` answers at once.
_HOMES = {
    **dict.fromkeys(["Dataset", "from_frames", "load", "save"], ".dataset"),
    **dict.fromkeys(
        [
            "Evaluation",
            "EvaluationConfig",
            "apply_overrides",
            "evaluate",
            "load_evaluation_config",
            "read_overrides",
        ],
        ".evaluation",
    ),
    "header_aliases": ".io.aliases",
    **dict.fromkeys(["list_metrics", "manager_metrics"], ".metrics"),
    **dict.fromkeys(["ModelFile", "read_model", "write_model"], ".model_file"),
    **dict.fromkeys(["generate", "load_sample"], ".sample"),
    "ValidationRules": ".schemas",
    **dict.fromkeys(
        ["Criterion", "FittedScorecard", "Scorecard", "load_scorecard", "score_managers"],
        ".scoring",
    ),
}


__getattr__, __dir__ = lazy_names(__name__, _HOMES)


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
