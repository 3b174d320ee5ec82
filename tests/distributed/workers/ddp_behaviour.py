"""DistributedDataParallel's options on two ranks: unused parameters, buffers, state_dict."""

import numpy as np

import ember
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel

dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()


class Branches(nn.Module):
    """``shared`` always takes part; ``mine`` only on rank 0; ``never`` on no rank."""

    def __init__(self):
        super().__init__()
        self.shared = nn.Linear(3, 2)
        self.mine = nn.Linear(3, 2)
        self.never = nn.Linear(3, 2)

    def forward(self, x, use_mine):
        out = self.shared(x)
        return out + self.mine(x) if use_mine else out


ember.manual_seed(0)
model = Branches().double()
ddp = DistributedDataParallel(model, find_unused_parameters=True)
x = ember.tensor(np.full((4, 3), rank + 1.0), dtype=ember.float64)
ddp(x, use_mine=rank == 0).sum().backward()
mine = np.stack(
    [np.full((2, 3), 4.0 * (r + 1)) if r == 0 else np.zeros((2, 3)) for r in range(size)]
)
np.testing.assert_allclose(model.mine.weight.grad.numpy(), mine.mean(0))
np.testing.assert_allclose(model.shared.weight.grad.numpy(), np.full((2, 3), 4.0 * 1.5))
assert model.never.weight.grad is None and model.never.bias.grad is None

# Without find_unused_parameters an unused parameter stops the next iteration, on every rank.
strict = DistributedDataParallel(Branches().double())
strict(x, use_mine=False).sum().backward()
try:
    strict(x, use_mine=False)
except RuntimeError as e:
    assert "Expected to have finished reduction" in str(e) and "mine.weight" in str(e), str(e)
else:
    raise AssertionError("an unused parameter went unnoticed")

# Buffers follow rank 0 before every forward; parameters were taken from rank 0 at construction.
ember.manual_seed(rank)
norm = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3)).double().eval()
norm[1].running_mean.fill_(float(rank))
wrapped = DistributedDataParallel(norm)
weights = [ember.zeros(3, 3, dtype=ember.float64) for _ in range(size)]
dist.all_gather(weights, norm[0].weight.detach())
assert np.array_equal(weights[0].numpy(), weights[1].numpy())
norm[1].running_mean.fill_(float(rank) + 5)
wrapped(ember.ones(2, 3, dtype=ember.float64))
np.testing.assert_array_equal(norm[1].running_mean.numpy(), np.full(3, 5.0))

# state_dict keys carry "module."; a plain state_dict loads into the wrapped module.
state = {k: v.clone() for k, v in wrapped.state_dict().items()}
assert all(k.startswith("module.") for k in state), list(state)
plain = {k: v * 0 for k, v in norm.state_dict().items()}
wrapped.load_state_dict(plain)
assert float(norm[0].weight.detach().abs().sum().item()) == 0.0
wrapped.load_state_dict(state)
assert np.array_equal(norm[0].weight.detach().numpy(), weights[0].numpy())
print(f"rank {rank}: ok")
