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
"""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
