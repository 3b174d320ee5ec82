"""LeNet-5 on one 32x32 image: backward with a vector, a walk over the graph, one SGD step."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from shared_init import shared_init


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, input):
        c1 = F.relu(self.conv1(input))
        s2 = F.max_pool2d(c1, (2, 2))
        c3 = F.relu(self.conv2(s2))
        s4 = F.max_pool2d(c3, 2)
        s4 = torch.flatten(s4, 1)
        f5 = F.relu(self.fc1(s4))
        f6 = F.relu(self.fc2(f5))
        output = self.fc3(f6)
        return output


torch.manual_seed(0)
net = Net()
shared_init(net.state_dict())
print(net)

params = list(net.parameters())
print(len(params), params[0].size())

rng = np.random.default_rng(0)
input = torch.tensor(rng.standard_normal((1, 1, 32, 32)), dtype=torch.float32)
out = net(input)
print("out", [round(v, 5) for v in out[0].tolist()])

# backward with a vector: the vector-Jacobian product of out with v
net.zero_grad()
v = torch.tensor(rng.standard_normal((1, 10)), dtype=torch.float32)
out.backward(v)
print("conv1.bias.grad", [round(g, 5) for g in net.conv1.bias.grad.tolist()])

target = torch.tensor(rng.standard_normal(10), dtype=torch.float32).view(1, -1)
criterion = nn.MSELoss()
output = net(input)
loss = criterion(output, target)
print(f"loss {loss.item():.6f}")

# The graph behind the loss, walked from loss.grad_fn to the leaves.
print("grad_fn:", type(loss.grad_fn).__name__)
seen, stack, leaves = set(), [loss.grad_fn], 0
while stack:
    fn = stack.pop()
    if fn is None or fn in seen:
        continue
    seen.add(fn)
    if not fn.next_functions:
        leaves += 1
    stack.extend(next_fn for next_fn, _ in fn.next_functions)
print("graph nodes:", len(seen), "leaves:", leaves)
first = loss.grad_fn.next_functions[0][0]
print("first step back:", first.name())

net.zero_grad()
print("conv1.bias.grad before backward", net.conv1.bias.grad)
loss.backward()
print("conv1.bias.grad after backward", [round(g, 6) for g in net.conv1.bias.grad.tolist()])

optimizer = optim.SGD(net.parameters(), lr=0.01)
for _ in range(5):
    optimizer.zero_grad()
    loss = criterion(net(input), target)
    loss.backward()
    optimizer.step()
    print(f"loss {loss.item():.6f}")
