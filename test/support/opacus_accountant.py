"""Opacus' own RDP accountant on the cases given as JSON on stdin, for the DP-SGD accountant checks
(test/clients/dp-opacus.test.ts, test/integration/trainingjob-dp.test.ts).

stdin: {"epsilon": [{"q", "sigma", "steps", "delta"}, ...], "noise": [{"q", "steps", "delta", "target"}, ...]}
stdout: {"opacus": version, "epsilon": [eps, ...], "noise": [sigma, ...]}
"""

import json
import sys

import opacus
from opacus.accountants import RDPAccountant
from opacus.accountants.utils import get_noise_multiplier


def epsilon(case):
    accountant = RDPAccountant()
    accountant.history = [(case["sigma"], case["q"], case["steps"])]
    return accountant.get_epsilon(delta=case["delta"])


def noise(case):
    return get_noise_multiplier(
        target_epsilon=case["target"],
        target_delta=case["delta"],
        sample_rate=case["q"],
        steps=case["steps"],
        accountant="rdp",
    )


doc = json.load(sys.stdin)
json.dump(
    {
        "opacus": opacus.__version__,
        "epsilon": [epsilon(c) for c in doc.get("epsilon", [])],
        "noise": [noise(c) for c in doc.get("noise", [])],
    },
    sys.stdout,
)
