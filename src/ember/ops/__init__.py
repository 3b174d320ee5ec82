"""Every differentiable operation of ember, by family; each family module lists its public names
(``__all__``), and only those are re-exported (so ``ember.nn`` is never shadowed by ``ops.nn``)."""

from . import (
    activation,
    compare,
    conv,
    elementwise,
    index,
    linalg,
    loss,
    nn,
    normalization,
    pooling,
    random,
    reduce,
    shape,
    special,
    transcendental,
)
from .activation import *
from .compare import *
from .conv import *
from .elementwise import *
from .index import *
from .linalg import *
from .loss import *
from .nn import *
from .normalization import *
from .pooling import *
from .random import *
from .reduce import *
from .shape import *
from .special import *
from .transcendental import *

__all__ = [
    *activation.__all__,
    *compare.__all__,
    *conv.__all__,
    *elementwise.__all__,
    *index.__all__,
    *linalg.__all__,
    *loss.__all__,
    *nn.__all__,
    *normalization.__all__,
    *pooling.__all__,
    *random.__all__,
    *reduce.__all__,
    *shape.__all__,
    *special.__all__,
    *transcendental.__all__,
]
