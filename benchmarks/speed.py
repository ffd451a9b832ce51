"""Speed and memory of skimbal against plain skorch and hand-written torch.

Run:  .venv/bin/python benchmarks/speed.py  [--quick]

All timings are measured side by side in this one process, on one torch
thread, as the median of several repetitions; the memory figures come from a
fresh subprocess per contender.
"""

import argparse
import gc
import platform
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
from skorch import NeuralNetClassifier
from torch import nn
from torch.utils.data import DataLoader, TensorDataset, WeightedRandomSampler

from skimbal import FocalLoss, ImbalancedNetClassifier, TabularMLP

N_ROWS, N_FEATURES, BATCH = 100_000, 30, 256
STRATEGIES = ("none", "class_weight", "sampler", "focal", "sampler+focal")


def make_data(n_rows, n_features=N_FEATURES, positive=0.01, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_rows, n_features), dtype=np.float32)
    y = (rng.random(n_rows) < positive).astype(np.int64)
    X[y == 1, :5] += 1.5
    return X, y


def new_module():
    return TabularMLP(
        N_FEATURES, 2, hidden_units=(64, 64), dropout=0.0, standardize=False
    )


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ----------------------------------------------------------------- fitting


def fit_hand_tensor(X, y, epochs, strategy="none"):
    """Reference: a permutation (or one multinomial draw) per epoch, slices of
    in-memory tensors; the loss and sampling of ``strategy``, written by hand."""
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    module = new_module()
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3)
    counts = np.bincount(y)
    weights = torch.as_tensor(1.0 / counts / np.mean(1.0 / counts), dtype=torch.float32)
    parts = set(strategy.split("+"))
    if "focal" in parts:
        loss_fn = FocalLoss(alpha=None if "sampler" in parts else weights, gamma=2.0)
    elif "class_weight" in parts:
        loss_fn = nn.CrossEntropyLoss(weight=weights)
    else:
        loss_fn = nn.CrossEntropyLoss()
    row_weights = torch.as_tensor(1.0 / counts[y])
    for _ in range(epochs):
        if "sampler" in parts:
            order = torch.multinomial(row_weights, len(Xt), replacement=True)
        else:
            order = torch.randperm(len(Xt))
        for start in range(0, len(Xt), BATCH):
            idx = order[start : start + BATCH]
            optimizer.zero_grad()
            loss = loss_fn(module(Xt[idx]), yt[idx])
            loss.backward()
            optimizer.step()


def fit_hand_dataloader(X, y, epochs):
    """A hand-written loop over DataLoader(TensorDataset)."""
    loader = DataLoader(
        TensorDataset(torch.from_numpy(X), torch.from_numpy(y)),
        batch_size=BATCH,
        shuffle=True,
    )
    module = new_module()
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        for Xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(module(Xb), yb).backward()
            optimizer.step()


def plain_skorch(epochs, sampler=None):
    kwargs = {"iterator_train__shuffle": True}
    if sampler is not None:
        kwargs = {"iterator_train__sampler": sampler}
    return NeuralNetClassifier(
        new_module(),
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        batch_size=BATCH,
        max_epochs=epochs,
        train_split=None,
        verbose=0,
        **kwargs,
    )


def skimbal_net(epochs, strategy="class_weight"):
    return ImbalancedNetClassifier(
        strategy=strategy,
        module__hidden_units=(64, 64),
        module__dropout=0.0,
        module__standardize=False,  # the same network as the loops above
        lr=1e-3,
        batch_size=BATCH,
        max_epochs=epochs,
        early_stopping=False,  # every row trains, as in the loops
        random_state=0,
    )


def bench_fit(repeats, epochs):
    X, y = make_data(N_ROWS)
    weights = torch.as_tensor(1.0 / np.bincount(y)[y])
    contenders = {
        "hand-written loop, tensor slices": lambda: fit_hand_tensor(X, y, epochs),
        "hand-written loop, DataLoader": lambda: fit_hand_dataloader(X, y, epochs),
        "plain skorch": lambda: plain_skorch(epochs).fit(X, y),
        "plain skorch + WeightedRandomSampler": lambda: plain_skorch(
            epochs, WeightedRandomSampler(weights, len(y), replacement=True)
        ).fit(X, y),
    }
    for strategy in STRATEGIES:
        contenders[f"skimbal strategy={strategy!r}"] = lambda s=strategy: skimbal_net(
            epochs, s
        ).fit(X, y)
        if strategy != "none":
            contenders[f"hand-written loop, same loss/sampling as {strategy!r}"] = (
                lambda s=strategy: fit_hand_tensor(X, y, epochs, s)
            )
    times = {}
    for rep in range(repeats):  # interleave the contenders so drift hits all alike
        names = list(contenders) if rep % 2 == 0 else list(contenders)[::-1]
        for name in names:
            times.setdefault(name, []).append(median_time(contenders[name], 1) / epochs)
    medians = {name: statistics.median(t) for name, t in times.items()}
    # per repetition, skimbal and its twin loop ran next to each other: the
    # median of the paired ratios cancels most of the machine's drift
    paired = {}
    for strategy in STRATEGIES:
        twin = (
            "hand-written loop, tensor slices"
            if strategy == "none"
            else f"hand-written loop, same loss/sampling as {strategy!r}"
        )
        ours = times[f"skimbal strategy={strategy!r}"]
        paired[strategy] = statistics.median(a / b for a, b in zip(ours, times[twin]))
    return medians, paired


# -------------------------------------------------------------- prediction


def bench_predict(repeats):
    X, y = make_data(200_000)
    rows = {"200,000 rows": X, "1 row": X[:1]}
    skorch_net = plain_skorch(1).fit(X[:2000], y[:2000])
    ours = skimbal_net(1).fit(X[:2000], y[:2000])
    module = ours.module_.eval()

    def bare(Xr):
        with torch.inference_mode():
            return torch.softmax(module(torch.from_numpy(Xr)), dim=-1).numpy()

    results = {}
    for label, Xr in rows.items():
        inner = 1 if len(Xr) > 1 else 2000  # single rows: time many calls
        contenders = {
            "bare module, inference_mode": lambda Xr=Xr: bare(Xr),
            "plain skorch predict_proba": lambda Xr=Xr: skorch_net.predict_proba(Xr),
            "skimbal predict_proba": lambda Xr=Xr: ours.predict_proba(Xr),
        }
        np.testing.assert_allclose(ours.predict_proba(Xr), bare(Xr), rtol=1e-5)
        for name, fn in contenders.items():
            # the garbage of the fits above slows small Python calls by up to 2x;
            # a serving process would not carry it
            gc.collect()
            seconds = median_time(lambda fn=fn: [fn() for _ in range(inner)], repeats)
            results[(label, name)] = seconds / inner
    return results


# ------------------------------------------------------------------ memory

MEMORY_CHILD = """
import sys
sys.path.insert(0, {here!r})
import numpy as np, torch
torch.set_num_threads(1)
import speed
base = speed.peak_rss_kib()
X, y = speed.make_data({n_rows})
which = {which!r}
if which == "hand":
    speed.fit_hand_tensor(X, y, 1)
elif which == "skorch":
    speed.plain_skorch(1).fit(X, y)
else:
    speed.skimbal_net(1, which).fit(X, y)
peak = speed.peak_rss_kib()
print(base, peak, X.nbytes)
"""


def peak_rss_kib():
    """The process's peak resident memory so far (VmHWM; getrusage's ru_maxrss
    can lag behind it)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def bench_memory(n_rows):
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    results = {}
    for which in ("hand", "skorch", "class_weight", "sampler"):
        code = MEMORY_CHILD.format(here=here, n_rows=n_rows, which=which)
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()
        base_kib, peak_kib, nbytes = map(int, out)
        results[which] = (peak_kib - base_kib) * 1024 / nbytes
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    torch.set_num_threads(1)
    # a shared 2-core machine drifts by +-10% between runs: many interleaved
    # repetitions of the fits keep the medians comparable
    repeats = 3 if args.quick else 5
    fit_repeats = 3 if args.quick else 9
    print(
        f"# speed: {platform.processor() or platform.machine()}, "
        f"{len(__import__('os').sched_getaffinity(0))} cores, torch "
        f"{torch.__version__} on 1 thread, numpy {np.__version__}"
    )

    epochs = 3
    fit, paired = bench_fit(fit_repeats, epochs)
    ref = fit["hand-written loop, tensor slices"]
    print(
        f"\n## fit: {N_ROWS:,} x {N_FEATURES} float32, 1% positives, MLP "
        f"{N_FEATURES}-64-64-2, batch {BATCH}, Adam; seconds per epoch "
        f"(whole fit of {epochs} epochs / {epochs}), median of {fit_repeats}\n"
    )
    print(
        "| way to train | s / epoch | vs hand-written loop | vs hand-written "
        "loop with the same loss and sampling (median of paired ratios) |"
    )
    print("|---|---|---|---|")
    for name, seconds in fit.items():
        if name.startswith("hand-written loop, same"):
            continue
        same = ""
        if name.startswith("skimbal"):
            same = f"{paired[name.split('=')[1].strip(chr(39))]:.2f}x"
        print(f"| {name} | {seconds:.3f} | {seconds / ref:.2f}x | {same} |")
    print("\nhand-written loops with the loss and sampling of each strategy:")
    for name, seconds in fit.items():
        if name.startswith("hand-written loop, same"):
            print(
                f"- {name.split(' as ')[1]}: {seconds:.3f} s / epoch, "
                f"{seconds / ref:.2f}x the plain loop"
            )

    predict = bench_predict(repeats)
    print(f"\n## predict_proba, median of {repeats}\n")
    print("| rows | way to predict | time | vs bare module |")
    print("|---|---|---|---|")
    for label in ("200,000 rows", "1 row"):
        ref = predict[(label, "bare module, inference_mode")]
        for (lab, name), seconds in predict.items():
            if lab != label:
                continue
            shown = (
                f"{seconds * 1e3:.1f} ms"
                if seconds > 1e-3
                else f"{seconds * 1e6:.0f} us"
            )
            print(f"| {label} | {name} | {shown} | {seconds / ref:.2f}x |")

    n_rows = 1_000_000
    memory = bench_memory(n_rows)
    print(
        f"\n## peak memory of one epoch of fit on {n_rows:,} x {N_FEATURES} "
        "float32 rows: peak RSS minus the RSS after the imports (so the data "
        "itself counts as 1.00x), in multiples of the data's 120 MB\n"
    )
    print("| fit | peak above baseline / data size |")
    print("|---|---|")
    for which, ratio in memory.items():
        print(f"| {which} | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
