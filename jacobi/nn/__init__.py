"""Networks: the symbolic feed-forward network and its four equations, the
generated gradient code, and training with it."""
from .network import Backprop, Equation, ExplicitNetwork, Network
