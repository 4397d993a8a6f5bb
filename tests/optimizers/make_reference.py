#!/usr/bin/python3
"""Prints the reference parameters for tests/optimizers/optimizers.cpp: three steps of each
torch.optim optimizer (PyTorch 1.13, float32) on fixed parameters and gradients.
Run: /usr/bin/python3 tests/optimizers/make_reference.py"""
import torch

P0 = [0.5, -1.2, 2.0, 0.0, -0.3]
GRADS = [[0.1, -0.2, 0.3, -0.4, 0.5], [-0.05, 0.4, 0.0, 0.2, -0.1], [0.3, 0.3, -0.6, 0.01, 0.2]]
CASES = {
    "sgd": lambda p: torch.optim.SGD(p, lr=0.1),
    "sgd_momentum_decay": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "sgd_nesterov": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "adam": lambda p: torch.optim.Adam(p, lr=0.01),
    "adam_weight_decay": lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    "adamw": lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1),
    "rmsprop": lambda p: torch.optim.RMSprop(p, lr=0.01),
    "rmsprop_centered_momentum": lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.5, centered=True,
                                                               weight_decay=0.05),
}
for name, make in CASES.items():
    p = torch.nn.Parameter(torch.tensor(P0, dtype=torch.float32))
    opt = make([p])
    for g in GRADS:
        p.grad = torch.tensor(g, dtype=torch.float32)
        opt.step()
    print(f"{name}: {{" + ", ".join(f"{v:.9g}f" for v in p.detach().tolist()) + "}")
