"""Networks: the symbolic feed-forward network and its four equations, the
generated gradient code, and training with it."""
from .network import COSTS, Backprop, Equation, ExplicitNetwork, Network
