"""`kgen train cyclegan|discogan`: two domains of images, loaded, trained on, scored and drawn.

Domain A is `--data-a` (default `--data`), domain B `--data-b`; without
`--data-b`, B is A's images in colour (`kgen.datasets.colour_digits`, the
MNIST-M recipe, with `--seed` for the training split and `--seed + 1` for
the validation split), so the embedded default is 8x8 grey digits <->
colour digits, and `--data mnist:PATH` gives MNIST <-> colour MNIST. Both
domains are scaled to [-1, 1] and trained on unpaired (`fit(a, b)`: each
shuffled on its own).

The run folder is the one of `kgen train` (`run_folder`), with
`translations_a_to_b_epochNNN.png` and `translations_b_to_a_epochNNN.png`
(input, translation, round trip) instead of samples, the held-out cycle
errors, and with labels in both domains `translation_quality`: how often
a digit classifier of the target domain reads a translation as its
source image's label, and the translations' FID
(`evaluation.translation_quality_metrics`; the classifiers are saved as
`feature_extractor_a.keras` and `feature_extractor_b.keras`).
"""

from kgen.cli import data
from kgen.cli import parser
from kgen.cli import run_folder
from kgen.cli import strategy
from kgen.cli import train

_NUM_PICTURED = 8  # images per row of the translation pictures


def load_domains(args, kind_a, argument_a):
    """`{"a": ((x, y), (x_val, y_val)), "b": ...}`, images in [0, 1]; labels may be None.

    Raises:
        UsageError: for empty or non-finite data, or a colour domain A
            without `--data-b` (colour digits are made from grey images).
    """
    own = {"image_size": parser.parse_image_size(args.image_size), "color_mode": args.color_mode}
    spec_a = args.data_a or args.data
    a = data.load(kind_a, argument_a, args.seed, **own)
    if args.data_b_spec is None:
        (x, y), (x_val, y_val) = a
        if x.shape[-1] != 1:
            raise parser.UsageError(
                "kgen train: error: `--data-b` must be given when domain A is in colour (B "
                "defaults to A's grey images in colour). Received: --data-a="
                f"{spec_a!r} with {x.shape[-1]} channels"
            )
        from kgen.datasets import colour_digits

        b = ((colour_digits(x, seed=args.seed), y), (colour_digits(x_val, seed=args.seed + 1), y_val))
        spec_b = f"colour({spec_a})"
    else:
        b = data.load(*args.data_b_spec, args.seed, **own)
        spec_b = args.data_b
    domains = {}
    for name, spec, ((x, y), (x_val, y_val)) in (("a", spec_a, a), ("b", spec_b, b)):
        data.check_not_empty(spec, training=x, validation=x_val)
        if args.max_examples is not None:
            x, x_val = x[: args.max_examples], x_val[: args.max_examples]
            y = None if y is None else y[: args.max_examples]
            y_val = None if y_val is None else y_val[: args.max_examples]
        data.check_finite(spec, training=x, validation=x_val)
        domains[name] = ((x, y), (x_val, y_val))
    args.data_specs = {"a": spec_a, "b": spec_b}
    return domains


def train_into(run_dir, entry, args, domains):
    """Trains the translation model of `entry` on `domains` and writes the run into `run_dir`."""
    import keras

    from kgen import evaluation
    from kgen.callbacks import GenerativePictures
    from kgen.checkpointing import AtomicBackupAndRestore
    from kgen.checkpointing import StopOnNonFinite

    (a, y_a), (a_val, y_a_val) = domains["a"]
    (b, y_b), (b_val, y_b_val) = domains["b"]
    keras.utils.set_random_seed(args.seed)
    args.image_shape_b = tuple(b.shape[1:])
    model = entry.build(tuple(a.shape[1:]), args)
    prepared = {name: data.prepare(entry.data, x)[0] for name, x in
                (("a", a), ("b", b), ("a_val", a_val), ("b_val", b_val))}
    backup = AtomicBackupAndRestore(run_dir / run_folder.BACKUP)
    pictures = GenerativePictures(
        run_dir / "pictures", x_val=(prepared["a_val"], prepared["b_val"]),
        num_reconstructions=_NUM_PICTURED, seed=args.seed, tensorboard_dir=run_dir / "logs",
        curves="metrics", value_range=(-1.0, 1.0))
    # An epoch is max(len(a), len(b)) images of each domain (`kgen.datasets.unpaired`).
    batch_size, _ = train.clip_batch_size(args.batch_size, 1, max(len(a), len(b)))
    train_a, train_b = prepared["a"], prepared["b"]
    val_a, val_b = prepared["a_val"], prepared["b_val"]
    replicas = model.distribute_strategy.num_replicas_in_sync
    if replicas > 1:
        train_a, _ = strategy.no_tiny_last_batch(train_a, None, batch_size, replicas)
        train_b, _ = strategy.no_tiny_last_batch(train_b, None, batch_size, replicas)
        val_a, _ = strategy.no_tiny_last_batch(val_a, None, batch_size, replicas)
        val_b, _ = strategy.no_tiny_last_batch(val_b, None, batch_size, replicas)
    history = model.fit(
        train_a, train_b, validation_data=(val_a, val_b), epochs=args.epochs, batch_size=batch_size,
        verbose=args.verbose, callbacks=[StopOnNonFinite(), pictures, backup])
    held_out = evaluation.held_out_metrics(
        model, (prepared["a_val"], prepared["b_val"]), batch_size=args.batch_size, seed=args.seed,
        verbose=args.verbose)
    metrics = {
        "model": args.model,
        "data": args.data_specs["a"],
        "data_b": args.data_specs["b"],
        "epochs": args.epochs,
        "batch_size": batch_size,
        "seed": args.seed,
        "num_train": int(len(a)),
        "num_validation": int(len(a_val)),
        "num_train_b": int(len(b)),
        "num_validation_b": int(len(b_val)),
        "units": evaluation.units(model),
        "resumed_after_epoch": backup.restored_epoch,
        "train": {k: v[-1] for k, v in history.history.items() if not k.startswith("val_")},
        "validation": {k[4:]: v[-1] for k, v in history.history.items() if k.startswith("val_")},
        "held_out": held_out,
    }
    labels = (y_a, y_b, y_a_val, y_b_val)
    if args.sample_quality:
        if any(y is None or len(set(y.tolist())) < 2 for y in labels):
            metrics["translation_quality"] = {
                "skipped": "both domains need labels of at least 2 classes to train the classifiers"}
        elif strategy.is_multi_worker(model.distribute_strategy):
            metrics["translation_quality"] = {
                "skipped": "not computed under --strategy multiworker; score model.keras with "
                           "kgen.evaluation.translation_quality_metrics"}
        else:
            train.progress(args, "translation quality: training a digit classifier per domain")
            classifiers = {
                name: train.train_classifier(x, y, args.seed, run_dir / f"feature_extractor_{name}.keras")
                for name, x, y in (("a", a, y_a), ("b", b, y_b))}
            n = args.sample_quality_samples
            metrics["translation_quality"] = evaluation.translation_quality_metrics(
                model, a_val[:n], b_val[:n], classifiers["a"], classifiers["b"], y_a_val[:n],
                y_b_val[:n])
    train.write_run(run_dir, model, metrics, args)
    return metrics
