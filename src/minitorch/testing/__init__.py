"""Tools to verify a Module, including a student's own layer.

* :func:`gradcheck` compares a hand-written ``backward`` with float64 central differences and
  returns a per-tensor table of errors.
* :func:`check_module` checks the Module contract (aligned ``parameters()``/``grads()``,
  input-shaped gradients, accumulation, ``zero_grad``, in-place updates).
"""

from .check_module import ContractCheck, ContractReport, check_module
from .gradcheck import GradcheckReport, GradcheckRow, gradcheck

__all__ = [
    "ContractCheck",
    "ContractReport",
    "GradcheckReport",
    "GradcheckRow",
    "check_module",
    "gradcheck",
]
