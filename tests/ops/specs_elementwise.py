"""Op specs: elementwise family (see harness.py)."""

import numpy as np

from .harness import OpSpec

BINARY = [
    ((3, 4), (3, 4)),
    ((2, 3, 4), (4,)),
    ((3, 1), (1, 4)),
    ((), (2, 3)),
    ((1,), ()),
    ((0, 3), (3,)),
]
UNARY = [((3, 4),), ((),), ((1,),), ((2, 0),), ((2, 1, 3),)]

SPECS: list[OpSpec] = [
    OpSpec("add", lambda a, b: a + b, np.add, BINARY),
    OpSpec("sub", lambda a, b: a - b, np.subtract, BINARY),
    OpSpec("mul", lambda a, b: a * b, np.multiply, BINARY),
    OpSpec("div", lambda a, b: a / b, np.divide, BINARY, domain=(0.5, 2.0)),
    OpSpec("mul_scalar", lambda a: a * 2.5, lambda a: a * 2.5, UNARY),
    OpSpec("rsub_scalar", lambda a: 1.5 - a, lambda a: 1.5 - a, UNARY),
    OpSpec("rdiv_scalar", lambda a: 2.0 / a, lambda a: 2.0 / a, UNARY, domain=(0.5, 2.0)),
    OpSpec("neg", lambda a: -a, np.negative, UNARY),
    OpSpec("exp", lambda a: a.exp(), np.exp, UNARY),
    OpSpec("log", lambda a: a.log(), np.log, UNARY, domain=(0.5, 3.0)),
    OpSpec("sin", lambda a: a.sin(), np.sin, UNARY),
    OpSpec("cos", lambda a: a.cos(), np.cos, UNARY),
]
