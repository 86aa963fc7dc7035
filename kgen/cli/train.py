"""`kgen train MODEL`: build the registry's model, fit it with the callbacks, write the run.

The model's registry row says how to build it (`entry.build`) and how its
data is prepared (`entry.data`); what is drawn and scored afterwards is
asked of the model through the protocols (`kgen.models._protocols`). The
run is written into `.DIR.partial` and renamed when complete
(`run_folder`). TensorFlow is imported only once the arguments are checked.
"""

import json
import pathlib
import sys

from kgen.cli import data
from kgen.cli import parser
from kgen.cli import run_folder
from kgen.cli import strategy

_NUM_RECONSTRUCTIONS = 16
_COVERAGE_SAMPLES = 2500  # samples scored by mode_coverage (VEEGAN, PacGAN)
# The feature extractor sees this many examples (the training split repeated
# as often as needed, one pass): ~100 steps of 64, about 1 s on 8x8 digits.
_EXTRACTOR_EXAMPLES = 6400


def run(args):
    """Runs `kgen train` on parsed arguments; returns the exit status."""
    entry, (data_kind, data_argument) = parser.check_train(args)
    out = pathlib.Path(args.out).absolute()
    # A multi-worker strategy must exist before any other TensorFlow op.
    distribution = strategy.make(args.strategy)
    if entry.data.two_domains:
        from kgen.cli import translation

        domains = translation.load_domains(args, data_kind, data_argument)

        def train_into(run_dir):
            return translation.train_into(run_dir, entry, args, domains)
    else:
        train_into = _loaded_training(entry, args, data_kind, data_argument)

    chief = strategy.is_chief(distribution)
    # Other workers train alike (and save checkpoints, for a resume of the
    # whole job) in their own folder, deleted at the end: the chief writes DIR.
    worker = "" if chief else f"-worker{strategy.task_id(distribution)}"
    created = []
    try:
        created = run_folder.make_parents(out.parent)
        partial = run_folder.open_partial(out, args, suffix=worker)
    except OSError as error:  # checked by parser.check_writable, unless it changed since
        run_folder.remove_created(created)
        raise parser.UsageError(
            f"kgen train: error: `--out` must be a folder that can be written. "
            f"Received: --out={args.out!r} ({error})"
        ) from error
    try:
        with distribution.scope():
            metrics = train_into(partial)
        run_folder.finish(partial, out if chief else None)
    except BaseException as error:
        keep = not isinstance(error, parser.UsageError)
        run_folder.clean_up_after(partial, created, keep_checkpoint=keep)
        raise
    if not chief:
        print(f"kgen train: worker {strategy.task_id(distribution)} done (the chief writes {out})")
        return 0
    summary = ", ".join(
        f"{k}={v:.4g}" for k, v in metrics["held_out"].items()
        if isinstance(v, (int, float)) and not isinstance(v, bool)
    )
    print(f"kgen train: wrote {out} ({summary})")
    return 0


def _loaded_training(entry, args, data_kind, data_argument):
    """Loads `--data` for a model of one domain; returns `train_into(run_dir) -> metrics`."""
    (x_train, y_train), (x_val, y_val) = data.load(
        data_kind, data_argument, args.seed,
        image_size=parser.parse_image_size(args.image_size), color_mode=args.color_mode)
    data.check_not_empty(args.data, training=x_train, validation=x_val)
    data.check_labels(entry, args.data, y_train)
    if args.max_examples is not None:
        x_train, x_val = x_train[: args.max_examples], x_val[: args.max_examples]
        if y_train is not None:
            y_train, y_val = y_train[: args.max_examples], y_val[: args.max_examples]
    data.check_finite(args.data, training=x_train, validation=x_val)
    # Unlabelled data: 2, unused (only a labelled model, refused above, reads it).
    args.num_classes = 2 if y_train is None else max(2, int(max(y_train.max(), y_val.max())) + 1)
    toy_name = data_argument if data_kind == "toy2d" else None

    def train_into(run_dir):
        return _train_into(run_dir, entry, args, toy_name, x_train, x_val, y_train, y_val)

    return train_into


def _train_into(run_dir, entry, args, toy_name, x_train, x_val, y_train, y_val):
    """Trains the model of `entry` and writes the whole run into `run_dir`; returns the metrics."""
    import keras

    from kgen import evaluation
    from kgen.checkpointing import AtomicBackupAndRestore
    from kgen.checkpointing import StopOnNonFinite
    from kgen.models import _protocols

    keras.utils.set_random_seed(args.seed)
    model = entry.build(tuple(x_train.shape[1:]), args)
    images = (x_train, y_train), (x_val, y_val)  # in [0, 1], for the sample quality
    x_train, value_range = data.prepare(entry.data, x_train)
    x_val, _ = data.prepare(entry.data, x_val)
    labelled = entry.data.labelled
    # First, so that no callback saves the weights of a step that made them
    # NaN; last, so that a restored checkpoint is saved after the pictures.
    backup = AtomicBackupAndRestore(run_dir / run_folder.BACKUP)
    pictures = _picture_callbacks(model, entry, args, run_dir, toy_name, x_val, value_range)
    callbacks = [StopOnNonFinite(), *pictures, backup]
    # Each discriminator (critic) step of a GAN sees --batch-size examples.
    d_steps = model.d_steps if isinstance(model, _protocols.AdversarialModel) else 1
    batch_size, fit_batch_size = clip_batch_size(args.batch_size, d_steps, len(x_train))
    replicas = model.distribute_strategy.num_replicas_in_sync
    if replicas > 1:
        x_train, y_train = strategy.no_tiny_last_batch(x_train, y_train, fit_batch_size, replicas)
        x_val, y_val = strategy.no_tiny_last_batch(x_val, y_val, fit_batch_size, replicas)
    history = model.fit(
        x_train,
        y_train if labelled else None,
        validation_data=(x_val, y_val) if labelled else (x_val,),
        epochs=args.epochs,
        batch_size=fit_batch_size,
        verbose=args.verbose,
        callbacks=callbacks,
    )
    held_out = evaluation.held_out_metrics(
        model, x_val, y_val if labelled else None, batch_size=args.batch_size, seed=args.seed,
        num_importance_samples=args.importance_samples, verbose=args.verbose,
    )
    if toy_name is not None:
        from kgen import datasets

        progress(args, "held-out evaluation: mode coverage")
        held_out.update(evaluation.mode_coverage_metrics(
            model, datasets.toy_2d_centers(toy_name), datasets.TOY_2D_STD[toy_name],
            num_samples=_COVERAGE_SAMPLES, seed=args.seed))
    sample_quality = None
    if args.sample_quality and x_train.ndim == 4 and isinstance(model, _protocols.Sampler):
        if y_train is None or len(set(y_train.tolist())) < 2:
            sample_quality = {"skipped": "the data has fewer than 2 classes to train the "
                                         "feature classifier on"}
        elif strategy.is_multi_worker(model.distribute_strategy):
            # Keras cannot fit the classifier inside a multi-worker scope
            # (its batches become PerReplica values): score the saved model.
            sample_quality = {"skipped": "not computed under --strategy multiworker; "
                                         "score model.keras with kgen.evaluation.sample_quality_metrics"}
        else:
            progress(args, "sample quality: training the digit classifier, scoring "
                            f"{args.sample_quality_samples} samples")
            sample_quality = _sample_quality(model, args, run_dir, *images)
    metrics = {
        "model": args.model,
        "data": args.data,
        "epochs": args.epochs,
        "batch_size": batch_size,
        "seed": args.seed,
        "num_train": int(len(x_train)),
        "num_validation": int(len(x_val)),
        "units": evaluation.units(model),
        "resumed_after_epoch": backup.restored_epoch,
        "train": {k: v[-1] for k, v in history.history.items() if not k.startswith("val_")},
        "validation": {k[4:]: v[-1] for k, v in history.history.items() if k.startswith("val_")},
        "held_out": held_out,
    }
    if sample_quality is not None:
        metrics["sample_quality"] = sample_quality
    if isinstance(model, _protocols.CanvasModel):
        progress(args, "drawing the canvas sequences")
        _write_canvas_pictures(model, x_val[:_NUM_RECONSTRUCTIONS], run_dir / "pictures", args.seed)
    write_run(run_dir, model, metrics, args)
    return metrics


def write_run(run_dir, model, metrics, args):
    """Writes the end of a run into `run_dir`: `metrics.json`, `model.keras` and `saved_model/`."""
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    progress(args, "saving model.keras and the SavedModel")
    model.save(run_dir / "model.keras")
    model.export(str(run_dir / "saved_model"))


def clip_batch_size(batch_size, d_steps, num_examples):
    """`(batch_size, fit_batch_size)`, clipped with a warning when a step needs more than the data.

    A step reads `fit_batch_size = batch_size * d_steps` examples (a GAN's
    discriminator steps take `batch_size` each). With fewer training
    examples, `fit` would run one short step per epoch anyway; this says
    so and records the batch size actually used:
    `max(num_examples // d_steps, 1)`, every example in the one step.
    """
    fit_batch_size = batch_size * d_steps
    if fit_batch_size <= num_examples:
        return batch_size, fit_batch_size
    clipped = max(num_examples // d_steps, 1)
    steps = f" x {d_steps} discriminator steps" if d_steps > 1 else ""
    print(
        f"kgen train: warning: --batch-size {batch_size}{steps} is more than the "
        f"{num_examples} training examples; using --batch-size {clipped}, one step per epoch",
        file=sys.stderr,
    )
    return clipped, num_examples


def progress(args, stage):
    """Prints the stage of the run after `fit` ends (a line each), unless `--verbose 0`."""
    if args.verbose:
        print(f"kgen train: {stage}", flush=True)


def _sample_quality(model, args, run_dir, train, validation):
    """`evaluation.sample_quality_metrics` through a digit classifier trained here, saved in the run.

    The classifier learns the training split's images (in [0, 1], before
    binarisation or scaling) and labels, seeded with `--seed`, in one pass
    over `_EXTRACTOR_EXAMPLES` examples (the split repeated); the samples
    are scored against at most `--sample-quality-samples` validation images.
    """
    from kgen import evaluation

    (x_train, y_train), (x_val, y_val) = train, validation
    classifier = train_classifier(x_train, y_train, args.seed, run_dir / "feature_extractor.keras")
    num_real = args.sample_quality_samples
    return evaluation.sample_quality_metrics(
        model, x_val[:num_real], classifier, y_real=y_val[:num_real],
        num_samples=num_real, seed=args.seed)


def train_classifier(x_train, y_train, seed, path):
    """A digit classifier of `x_train` (in [0, 1]) and its labels, saved at `path`.

    One pass over `_EXTRACTOR_EXAMPLES` examples (the split repeated),
    seeded with `seed`: the features of the sample-quality numbers.
    """
    import numpy as np

    from kgen import metrics

    repeats = -(-_EXTRACTOR_EXAMPLES // len(x_train))
    return metrics.train_feature_extractor(
        np.tile(x_train, (repeats, 1, 1, 1)), np.tile(y_train, repeats), epochs=1, seed=seed,
        path=path)


def _picture_callbacks(model, entry, args, run_dir, toy_name, x_val, value_range):
    """`[ModeCoverageCallback]` on toy2d, then `GenerativePictures`."""
    from kgen.callbacks import GenerativePictures
    from kgen.callbacks import ModeCoverageCallback
    from kgen.models import _protocols

    callbacks = []
    if toy_name is not None:
        # First, so that the callbacks after it (and History) log its numbers.
        from kgen import datasets

        callbacks.append(ModeCoverageCallback(
            datasets.toy_2d_centers(toy_name),
            datasets.TOY_2D_STD[toy_name],
            num_samples=_COVERAGE_SAMPLES,
            seed=args.seed,
            out_dir=run_dir / "pictures",
            tensorboard_dir=run_dir / "logs",
            real_points=x_val,
        ))
    # GenerativePictures also writes the epoch metrics to TensorBoard, so the
    # run's pictures and metrics share one event file (instead of
    # `keras.callbacks.TensorBoard`'s train/ and validation/ folders).
    callbacks.append(GenerativePictures(
        run_dir / "pictures",
        x_val=x_val[:_NUM_RECONSTRUCTIONS],
        # A conditional GAN's samples cycle through the classes: 10 rows of
        # one sample per class.
        num_samples=10 * args.num_classes if entry.data.labelled else 64,
        seed=args.seed,
        tensorboard_dir=run_dir / "logs",
        # An ELBO curve for models with one (-loss is the ELBO); else every
        # metric (a GAN's d_loss, g_loss, ...).
        curves="elbo" if isinstance(model, _protocols.LowerBoundModel) else "metrics",
        value_range=value_range,
    ))
    return callbacks


def _write_canvas_pictures(model, x_val, folder, seed):
    """A `CanvasModel`: the canvas after each step, as a grid and an animated GIF, windows drawn.

    `generation_steps.png` / `generation.gif`: 16 images painted from the
    prior, the write window in green; `reconstruction_steps.png` /
    `reconstruction.gif`: held-out images painted back, read windows in red.
    """
    from kgen import plotting

    painted = model.canvas_sequence(16, seed=seed)
    windows = [None, painted["write_windows"]]  # write in green, as in reconstructions
    plotting.save_png(folder / "generation_steps.png",
                      plotting.canvas_sequence_grid(painted["canvases"], windows))
    plotting.save_canvas_gif(folder / "generation.gif", painted["canvases"], windows)
    seen = model.reconstruct_sequence(x_val, seed=seed)
    windows = [seen["read_windows"], seen["write_windows"]]
    plotting.save_png(folder / "reconstruction_steps.png",
                      plotting.canvas_sequence_grid(seen["canvases"], windows))
    plotting.save_canvas_gif(folder / "reconstruction.gif", seen["canvases"], windows)
