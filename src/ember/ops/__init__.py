"""Every differentiable operation of ember, by family; each family module lists its public names."""

from .elementwise import *
from .index import *
from .linalg import *
from .nn import *
from .reduce import *
from .shape import *
