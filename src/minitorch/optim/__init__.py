"""Optimizers and learning-rate schedulers: ``from minitorch import optim``.

An optimizer is given the model (a Module) or a list of Modules, not ``model.parameters()``::

    optimizer = optim.Adam(model, lr=1e-3)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=50)
    for epoch in range(50):
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            model.backward(loss_fn.backward())
            optimizer.step()
        scheduler.step()

Parameter groups, as in PyTorch (a group's ``"params"`` is a Module, a list of Modules, or a
:class:`ParameterGroup` of some of a model's parameters)::

    decay, no_decay = optim.weight_decay_groups(model)
    optimizer = optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": no_decay, "weight_decay": 0.0}], lr=6e-4)
    optimizer.param_groups[0]["lr"] = 3e-4

Freezing is the layers' (``model.encoder.requires_grad_(False)``, before or after the optimizer
is built): every optimizer skips a frozen parameter as PyTorch's skip a ``None`` gradient.
"""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .param_groups import ParameterGroup, decays_weight, weight_decay_groups
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Optimizer",
    "ParameterGroup",
    "RMSprop",
    "decays_weight",
    "lr_scheduler",
    "weight_decay_groups",
]
