"""The quarterly evaluation as frames: :func:`evaluate` returns an :class:`Evaluation`.

Computation only: the report writers render an :class:`Evaluation` and never
recompute what it holds.
"""

from ._config import EvaluationConfig
from ._config_file import default_config_text, load_evaluation_config
from ._evaluate import default_period, evaluate
from ._overrides import OverrideNote, apply_overrides, read_overrides
from ._result import Evaluation, Section

__all__ = [
    "Evaluation",
    "EvaluationConfig",
    "OverrideNote",
    "Section",
    "apply_overrides",
    "default_config_text",
    "default_period",
    "evaluate",
    "load_evaluation_config",
    "read_overrides",
]
