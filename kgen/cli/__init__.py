"""The `kgen` command line: train a model, draw samples, export, report versions.

```
kgen train vae --data digits --epochs 30 --batch-size 64 --out runs/vae --seed 0
kgen train gan --data toy2d:ring --epochs 20 --out runs/gan
kgen train dcgan --data mnist:mnist.npz --out runs/dcgan
kgen train dcgan --data images:photos --image-size 64 --color-mode rgb --out runs/photos
kgen train vae --data npz:patches.npz:images --out runs/patches   # npz:PATH[:KEY[:LABEL_KEY]]
kgen train draw --data digits --time-steps 10 --out runs/draw      # --no-attention: whole images
kgen train flow --data toy2d:ring --out runs/flow
kgen sample runs/vae --n 64 --out grid.png
kgen sample runs/cgan --n 16 --label 7 --scale 4 --out sevens.png   # one class of a cgan
kgen export runs/vae exports/vae/1
kgen info
```

`kgen train MODEL` writes into `--out DIR`:

- `model.keras`: the trained model (`keras.saving.load_model` reloads it);
- `saved_model/`: a SavedModel with serving signatures (`model.export`);
- `pictures/`: samples (cgan: a column per class, labelled),
  reconstructions (rows labelled "original" and "reconstructed") and, for a
  2D latent space, the latent manifold per epoch, enlarged to at least 256
  pixels wide; `curves.png`, one panel per metric over every epoch (a
  resumed run's too), and `history.json`, the same numbers
  (`GenerativePictures`); on `--data toy2d` also `coverage_epochNNN.png`,
  real versus generated points (`ModeCoverageCallback`);
- `logs/`: TensorBoard event file with the same pictures and the epoch
  metrics;
- `metrics.json`: final training and validation metrics and held-out
  numbers: the ELBO and importance-weighted log-likelihood in nats per
  example for likelihood models (vae, draw: `--importance-samples K`,
  recorded as `log_likelihood_num_samples`; rbm); for GANs, which have no
  likelihood, the final losses and the held-out value of the game
  (`V(D, G)` in nats, or the critic's Wasserstein estimate for wgan); on
  `--data toy2d` the modes covered (`kgen.diagnostics.mode_coverage`).

draw trains on binarised images (a Bernoulli likelihood) and also writes
`pictures/generation_steps.png` and `generation.gif` (the canvas after each
glimpse, painted from the prior, write windows in green) and
`reconstruction_steps.png` / `reconstruction.gif` (held-out images painted
back, read windows in red). flow (RealNVP) reports `log_prob_nats` and
`bits_per_dim`; on images it dequantises the grey levels (17 on the digits,
256 on MNIST).

The GANs (gan, dcgan, cgan, wgan) train on images scaled from [0, 1] to
[-1, 1], the range of their `tanh` generators; their pictures and
`kgen sample` map samples back to [0, 1]. On toy2d points, gan and wgan use
a linear output and the data as it is. cgan is trained on the images and
their digit labels. For wgan, `--batch-size` is the minibatch of each of
its 5 critic steps (so one step reads 5 batches).

The run is written into a sibling folder `.DIR.partial` and renamed to `DIR`
only when complete, so `DIR` is either absent or a whole run. Training
saves a checkpoint there after every epoch (`AtomicBackupAndRestore`: the
weights, the optimizer state and the epoch, written atomically). If the
run is killed (Ctrl-C, `kill -9`, a lost machine), running the same command
again resumes after the last saved epoch (`metrics.json` records it as
`resumed_after_epoch`); a run with other arguments starts afresh. A NaN or
infinite loss stops training with an error (exit status 1) and keeps the
last good checkpoint; data with NaN or infinite values is refused up front.

`--data images:DIR` reads a folder of image files (class sub-folders as
labels) and `--data npz:PATH[:KEY[:LABEL_KEY]]` any array of images
(`kgen.datasets.load_images`, `load_npz`), resized by `--image-size N|HxW`
and converted by `--color-mode grayscale|rgb`; labels are optional but for
cgan. A `--batch-size` (times a GAN's discriminator steps) larger than the
training data is clipped to it, with a warning line on stderr, and
`metrics.json` records the batch size used.

After `fit`, with `--verbose` 1 or 2, each later stage prints a line as it
starts (each held-out number, the sample quality, the canvas pictures, the
saving), and `--verbose 1` a progress bar over the examples of the
importance-weighted bound.

Bad arguments print one line, `kgen <command>: error: ...`, on stderr and
exit with status 2; so do malformed or empty data and output paths that
cannot be written (checked before any work). An interrupt exits with 130.

The package, one concept per module: `parser` (the commands and flags,
built from `kgen.registry`, and their checks), `data` (loading `--data`
and preparing it as a row's `DataSpec` says), `train` (build, fit, score
with `kgen.evaluation`, write), `run_folder` (the `.DIR.partial`
lifecycle), `strategy` (`--strategy`) and `commands` (sample, export,
info). `kgen --help` and every usage error answer before TensorFlow is
imported: `main` parses and checks with the standard library alone.
"""

import sys

from kgen.cli import commands
from kgen.cli import train
from kgen.cli.parser import UsageError
from kgen.cli.parser import make_parser

_RUN = {"train": train.run, "sample": commands.sample, "export": commands.export, "info": commands.info}


def main(argv=None):
    """Runs the `kgen` command line.

    Args:
        argv: list of argument strings; `None` reads `sys.argv[1:]`.

    Returns:
        The exit status: 0 on success, 1 when training diverged (NaN or
        infinite loss), 2 for bad arguments, 130 when interrupted.
    """
    parser = make_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            raise UsageError(
                f"{parser.prog}: error: a command is required: train, sample, export or info"
            )
        return _RUN[args.command](args) or 0
    except UsageError as error:
        print(" ".join(str(error).split()), file=sys.stderr)  # one line
        return 2
    except SystemExit as exit:  # --help and --version
        return exit.code if isinstance(exit.code, int) else 0
    except KeyboardInterrupt:
        print("kgen: interrupted", file=sys.stderr)
        return 130
    except FloatingPointError as error:  # kgen.checkpointing.NonFiniteTrainingError
        print(f"kgen: error: {' '.join(str(error).split())}", file=sys.stderr)
        return 1
