"""Every differentiable operation of ember, by family; each family module lists its public names
(``__all__``), and only those are re-exported (so ``ember.nn`` is never shadowed by ``ops.nn``)."""

from . import (
    activation,
    compare,
    conv,
    counting,
    elementwise,
    extrema,
    incomplete_gamma,
    index,
    layout,
    linalg,
    loss,
    nn,
    normalization,
    pooling,
    random,
    reduce,
    rounding,
    sampling,
    scan,
    shape,
    sorting,
    special,
    stats,
    transcendental,
    triangular,
)
from .activation import *
from .compare import *
from .conv import *
from .counting import *
from .elementwise import *
from .extrema import *
from .incomplete_gamma import *
from .index import *
from .layout import *
from .linalg import *
from .loss import *
from .nn import *
from .normalization import *
from .pooling import *
from .random import *
from .reduce import *
from .rounding import *
from .sampling import *
from .scan import *
from .shape import *
from .sorting import *
from .special import *
from .stats import *
from .transcendental import *
from .triangular import *

__all__ = [
    *activation.__all__,
    *compare.__all__,
    *conv.__all__,
    *counting.__all__,
    *elementwise.__all__,
    *extrema.__all__,
    *incomplete_gamma.__all__,
    *index.__all__,
    *layout.__all__,
    *linalg.__all__,
    *loss.__all__,
    *nn.__all__,
    *normalization.__all__,
    *pooling.__all__,
    *random.__all__,
    *reduce.__all__,
    *rounding.__all__,
    *sampling.__all__,
    *scan.__all__,
    *shape.__all__,
    *sorting.__all__,
    *stats.__all__,
    *special.__all__,
    *transcendental.__all__,
    *triangular.__all__,
]
