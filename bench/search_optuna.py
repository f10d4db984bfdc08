"""bench:search's peer: the same random search as the TrainingSearch of bench/search.ts, run by Optuna in one
process (hack/optuna-venv.sh's venv), with Optuna's own pruner of the same kind.

Usage: search_optuna.py '<config JSON>'
  config: {"data": <DataSet version folder>, "trials": 16, "epochs": 27, "seed": 0,
           "pruner": "none" | "median" | "successiveHalving", "minEpochs": 1, "startupTrials": 5,
           "reductionFactor": 3, "space": {...the ranges bench/search.ts gives the TrainingSearch...}}

Each trial trains the TrainingSearch template's model in PyTorch on one thread: dense(units, ReLU) → dropout(rate)
→ dense(classes) logits, Glorot-uniform weights and zero biases (as Keras and TensorFlow.js initialise a dense layer),
softmax cross-entropy, shuffled batches; the optimizers with TensorFlow.js' defaults (Adam ε 1e-7, RMSprop decay 0.9
ε 1e-7, plain SGD). After each epoch it reports the validation accuracy to Optuna (step = the 1-based epoch, as the
TrainingSearch's rungs count epochs) and stops when the pruner says so:
  median            → optuna.pruners.MedianPruner(n_startup_trials=startupTrials, n_warmup_steps=minEpochs)
  successiveHalving → optuna.pruners.SuccessiveHalvingPruner(min_resource=minEpochs,
                                                             reduction_factor=reductionFactor,
                                                             min_early_stopping_rate=0)
  none              → optuna.pruners.NopPruner()
The sampler is optuna.samplers.RandomSampler(seed): the same distributions as the TrainingSearch's random algorithm
(log-uniform learning rate, a uniform choice of batch size and optimizer, log-uniform integer units, uniform
dropout), not the same draws (each side has its own PRNG).

Prints one JSON line on stdout: the wall seconds of the whole study, every trial (state, epochs trained, last
validation accuracy, parameters, the test accuracy of the ones that ran to the end) and the best trial.
One line per trial on stderr while it runs.
"""

import json
import sys
import time

from train_peers import load


def build(units, dropout, classes, width):
    import torch

    model = torch.nn.Sequential(
        torch.nn.Linear(width, units),
        torch.nn.ReLU(),
        torch.nn.Dropout(dropout),
        torch.nn.Linear(units, classes),
    )
    for m in model:
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(m.weight)
            torch.nn.init.zeros_(m.bias)
    return model


def optimizer(name, params, lr):
    import torch

    if name == "adam":
        return torch.optim.Adam(params, lr=lr, eps=1e-7)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=0.9, eps=1e-7)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    raise ValueError(f"unknown optimizer {name}")


def suggest(trial, space):
    lr = space["learningRate"]
    units = space["units"]
    drop = space["dropout"]
    return {
        "learningRate": trial.suggest_float("learningRate", lr["min"], lr["max"], log=True),
        "batchSize": trial.suggest_categorical("batchSize", space["batchSize"]),
        "units": trial.suggest_int("units", units["min"], units["max"], log=True),
        "dropout": trial.suggest_float("dropout", drop["min"], drop["max"]),
        "optimizer": trial.suggest_categorical("optimizer", space["optimizer"]),
    }


def pruner_of(cfg):
    import optuna

    kind = cfg["pruner"]
    if kind == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=cfg["startupTrials"], n_warmup_steps=cfg["minEpochs"])
    if kind == "successiveHalving":
        return optuna.pruners.SuccessiveHalvingPruner(
            min_resource=cfg["minEpochs"], reduction_factor=cfg["reductionFactor"], min_early_stopping_rate=0
        )
    if kind == "none":
        return optuna.pruners.NopPruner()
    raise ValueError(f"unknown pruner {kind}")


def main():
    cfg = json.loads(sys.argv[1])
    import optuna
    import torch

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    (x, y, k), (xv, yv, _), (xt, yt, _) = (load(cfg["data"], s) for s in ("train", "validation", "test"))
    x, y, xv, yv, xt, yt = (torch.from_numpy(a) for a in (x, y, xv, yv, xt, yt))
    epochs = cfg["epochs"]
    records = {}

    def objective(trial):
        p = suggest(trial, cfg["space"])
        torch.manual_seed(cfg["seed"] * 1000 + trial.number)
        model = build(p["units"], p["dropout"], k, x.shape[1])
        opt = optimizer(p["optimizer"], model.parameters(), p["learningRate"])
        loss_fn = torch.nn.CrossEntropyLoss()
        batch = p["batchSize"]
        rec = {"number": trial.number, "parameters": p, "epochs": 0}
        records[trial.number] = rec

        def accuracy(a, b):
            model.eval()
            with torch.no_grad():
                return (model(a).argmax(1) == b).float().mean().item()

        for epoch in range(1, epochs + 1):
            model.train()
            order = torch.randperm(len(x))
            for i in range(0, len(x), batch):
                idx = order[i : i + batch]
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(model(x[idx]), y[idx])
                if not torch.isfinite(loss):
                    raise optuna.TrialPruned(f"NaN loss at epoch {epoch}")  # a diverged trial, as Liftoff's NaNLoss
                loss.backward()
                opt.step()
            val = accuracy(xv, yv)
            rec["epochs"] = epoch
            rec["value"] = val
            trial.report(val, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        rec["testAccuracy"] = accuracy(xt, yt)
        return val

    def progress(study, trial):
        rec = records.get(trial.number, {})
        sys.stderr.write(
            f"optuna: trial {trial.number} {trial.state.name} after {rec.get('epochs', 0)} epochs "
            f"val_accuracy={rec.get('value', float('nan')):.4f} {json.dumps(rec.get('parameters', {}))}\n"
        )

    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.RandomSampler(seed=cfg["seed"]), pruner=pruner_of(cfg)
    )
    started = time.perf_counter()
    study.optimize(objective, n_trials=cfg["trials"], callbacks=[progress], catch=())
    wall = time.perf_counter() - started
    trials = []
    for t in study.trials:
        rec = records.get(t.number, {})
        trials.append({**rec, "state": t.state.name})
    complete = [t for t in trials if t["state"] == "COMPLETE"]
    best = max(complete, key=lambda t: (t["value"], -t["number"])) if complete else None
    print(
        json.dumps(
            {
                "wallSeconds": wall,
                "epochsTrained": sum(t["epochs"] for t in trials),
                "pruned": sum(1 for t in trials if t["state"] == "PRUNED"),
                "trials": trials,
                "best": best,
                "optuna": optuna.__version__,
                "torch": torch.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
