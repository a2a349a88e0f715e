"""Networks: the symbolic feed-forward network and its four equations, the
generated gradient code, and training with it."""
from .backprop import Backprop, Equation
from .costs import COSTS, Cost, register_cost
from .explicit import ExplicitNetwork
from .layers import Activation, BatchNorm, Dense, Embedding, Layer, LayerNorm, Residual, RMSNorm
from .network import Network
from .program import AdjointEquation, ProgramBackprop, backprop
from .seqlayers import Attention, ElmanRNN
from .sequential import Sequential
