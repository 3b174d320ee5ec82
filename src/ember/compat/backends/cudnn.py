"""``ember.backends.cudnn``: no cuDNN; the flags PyTorch scripts set are kept and have no effect."""

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    return False


def version() -> None:
    return None
