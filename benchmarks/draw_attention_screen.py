"""Screening runs for DRAW's attention: held-out -ELBO per epoch for a few settings.

`benchmarks/likelihood_mnist.py` compares DRAW with and without attention
under one budget; this script is how its settings were chosen. Each named
setting trains a DRAW (T glimpses, 256-unit LSTMs, 100 latent units per
step, batch 100, Adam with the global gradient norm clipped at 100 unless a
setting says otherwise) on the
6,000 binarised training digits of `../shared/data/mnist/mnist-t10k-8k.npz`
and reports, after every epoch, the training loss and the -ELBO of the
first 1,000 test digits (one posterior sample per image, nats per image).

Settings are `name=key:value,key:value`, e.g.

    PYTHONPATH=. python benchmarks/draw_attention_screen.py --epochs 5 \
        plain=attention:0 att=attention:1,read_n:4,write_n:10,lr:3e-3

Keys: `attention` (0/1), `read_n`, `write_n`, `lr`, `time_steps`,
`clipnorm` (Adam's `global_clipnorm`, default 100 as DRAW's; 0 = none),
`glorot_kernels` (1: the two `Dense(5)` layers that place the read and
write grids from the decoder state start with random Glorot kernels, as
DRAW's did before they started at zero), and
`read_gain`, `write_gain`: factors applied to the initial read intensity
`gamma` and write intensity `1 / gamma` that
`kgen.models._draw_attention.initial_params` gives (1 = DRAW's default).
Writes `benchmarks/results/draw_attention_screen.json`.
"""

import argparse
import math
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

import _common  # noqa: E402
from kgen import datasets  # noqa: E402
from kgen.models import DRAW  # noqa: E402
from kgen.models import _draw_attention  # noqa: E402

DEFAULTS = {
    "attention": 1, "read_n": 4, "write_n": 10, "lr": 1e-3, "time_steps": 16,
    "read_gain": 1.0, "write_gain": 1.0, "clipnorm": 100.0,
    "glorot_kernels": 0,
}
FLOAT_KEYS = ("lr", "read_gain", "write_gain", "clipnorm")


def parse_setting(text):
    """`name=key:value,...` -> (name, dict of settings over DEFAULTS)."""
    name, _, body = text.partition("=")
    setting = dict(DEFAULTS)
    for item in filter(None, body.split(",")):
        key, _, value = item.partition(":")
        if key not in DEFAULTS:
            raise SystemExit(f"unknown key {key!r} in {text!r}; expected one of {sorted(DEFAULTS)}")
        setting[key] = float(value) if key in FLOAT_KEYS else int(float(value))
    return name, setting


def scaled_initial_params(read_gain, write_gain):
    """`_draw_attention.initial_params` with its initial intensities scaled."""
    original = _draw_attention.initial_params

    def initial_params(n, width, height, role):
        params = original(n, width, height, role)
        # read: gamma * read_gain; write: (1 / gamma) * write_gain.
        params[4] += math.log(read_gain) if role == "read" else -math.log(write_gain)
        return params

    return original, initial_params


def run(setting, x_train, x_val, epochs, seed):
    keras.utils.set_random_seed(seed)
    original, patched = scaled_initial_params(setting["read_gain"], setting["write_gain"])
    _draw_attention.initial_params = patched
    model = DRAW(
        x_train.shape[1:],
        time_steps=setting["time_steps"],
        latent_dim=100,
        encoder_units=256,
        decoder_units=256,
        attention=bool(setting["attention"]),
        read_n=setting["read_n"],
        write_n=setting["write_n"],
        seed=seed,
    )
    _draw_attention.initial_params = original
    if model.attention and setting["glorot_kernels"]:
        # DRAW's attention kernels before they started at zero: Glorot
        # uniform with the seeds DRAW gave them (seed + 0 and seed + 6).
        for layer, offset in ((model.read_attention, 0), (model.write_attention, 6)):
            initializer = keras.initializers.GlorotUniform(seed + offset)
            layer.kernel.assign(initializer(layer.kernel.shape))
    clipnorm = setting["clipnorm"] or None  # 0: no clipping
    model.compile(optimizer=keras.optimizers.Adam(setting["lr"], global_clipnorm=clipnorm))
    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    history = model.fit(
        x_train, epochs=epochs, batch_size=100, validation_data=(x_val,), verbose=0
    )
    return {
        "setting": setting,
        "parameters": int(model.count_params()),
        "train_seconds": time.perf_counter() - start,
        "train_loss": [float(v) for v in history.history["loss"]],
        "val_neg_elbo": [float(v) for v in history.history["val_loss"]],
        "val_kl": [float(v) for v in history.history["val_kl"]],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("settings", nargs="+", help="name=key:value,...")
    parser.add_argument("--data", default=str(_common.SHARED_MNIST))
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(_common.REPO_ROOT / "benchmarks/results/draw_attention_screen.json"))
    args = parser.parse_args(argv)
    if not os.path.exists(args.data):
        sys.exit(f"draw_attention_screen.py: MNIST file not found: {args.data}")
    (grey_train, _), (grey_test, _) = datasets.load_mnist(args.data)
    x_train, x_val = datasets.binarize(grey_train), datasets.binarize(grey_test[:1000])

    rows = {}
    for text in args.settings:
        name, setting = parse_setting(text)
        rows[name] = run(setting, x_train, x_val, args.epochs, args.seed)
        r = rows[name]
        print(f"{name} {setting} params {r['parameters']:,} {r['train_seconds']:.0f} s\n"
              f"  train loss  {' '.join(f'{v:.1f}' for v in r['train_loss'])}\n"
              f"  val -ELBO   {' '.join(f'{v:.1f}' for v in r['val_neg_elbo'])}\n"
              f"  val KL      {' '.join(f'{v:.1f}' for v in r['val_kl'])}", flush=True)
    _common.write_json(args.out, {"benchmark": "draw_attention_screen", "args": vars(args),
                                  "machine": _common.machine_info(), "runs": rows})
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
