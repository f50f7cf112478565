"""Loss modules (work in progress)."""

from .module import Module


class Loss(Module):
    pass


BCELoss = BCEWithLogitsLoss = CrossEntropyLoss = HuberLoss = L1Loss = MSELoss = NLLLoss = Loss
