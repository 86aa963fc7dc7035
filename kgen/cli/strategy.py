"""`kgen train --strategy`: the `tf.distribute` strategy and who writes the run.

With `multiworker` every host runs the same command; the chief writes
`DIR`, the other workers train alike in a folder of their own, deleted at
the end (docs/distributed.md).
"""

import sys


def make(name):
    """The strategy of `--strategy` (the default, one device, for None)."""
    from kgen.distribute import make_strategy

    return make_strategy(name)


def task_id(strategy):
    """The worker's index in a multi-worker cluster; 0 otherwise."""
    resolver = getattr(strategy, "cluster_resolver", None)
    return int(getattr(resolver, "task_id", 0) or 0)


def is_chief(strategy):
    """True but on the non-chief workers of a multi-worker strategy."""
    resolver = getattr(strategy, "cluster_resolver", None)
    task_type = getattr(resolver, "task_type", None)
    if task_type in (None, "chief"):
        return True
    has_chief = "chief" in (resolver.cluster_spec().as_dict() if resolver else {})
    return task_type == "worker" and not has_chief and task_id(strategy) == 0


def is_multi_worker(strategy):
    """True under `--strategy multiworker` (a cluster of worker processes)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    return getattr(resolver, "task_type", None) is not None


def no_tiny_last_batch(x, y, batch_size, replicas):
    """Drops the last `len(x) % batch_size` examples when fewer than `replicas`.

    Under a strategy, `fit` splits the last batch of an epoch between the
    replicas; with fewer rows than replicas one gets none, and TensorFlow's
    convolutions fail on an empty batch (docs/distributed.md).
    """
    remainder = len(x) % batch_size
    if 0 < remainder < replicas:
        print(f"kgen train: dropping the last {remainder} example(s) so that every replica "
              "gets rows of the last batch", file=sys.stderr)
        return x[: len(x) - remainder], None if y is None else y[: len(y) - remainder]
    return x, y
