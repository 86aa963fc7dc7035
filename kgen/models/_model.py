"""The base class of kgen's models: the contract every model follows.

A kgen model is one module under `kgen/models/`, its tests, its example and
one row of `kgen.registry`. This base gives it:

- **Compile defaults** as documented class attributes,
  `default_jit_compile` and `default_steps_per_execution`: `compile`'s
  `jit_compile=None` and `steps_per_execution=None` mean them, and under a
  `tf.distribute` strategy with several replicas both fall back to what
  Keras 3 can run there (`_replicas.compile_options`). Each model states
  its choice and the benchmark behind it.
- **Seeds**: `_init_seed(seed)` checks the seed once and turns it into the
  model's `keras.random.SeedGenerator` (`self.seed_generator`), the source
  of all the model's noise unless a method gets its own `seed`; weights are
  seeded by `_seeding`.
- **Export**: `export(path, overwrite=False)` writes a SavedModel of the
  signatures the model returns from `_export_signatures()` (stock
  TensorFlow ops only), atomically, with `serving_default` aliased to
  `serving_default_signature` (`kgen.export.export_model`).
- **Protocols**: a model inherits the `kgen.models._protocols` classes that
  say what it offers (`Sampler`, `LowerBoundModel`, ...); the CLI and
  `kgen.evaluation` ask those, not `hasattr`.

and the Keras hooks they all need:

- `compile_from_config`: Keras skips it for models that override `compile`
  (all of kgen's do, for their defaults), so a reloaded `.keras` model would
  come back uncompiled and lose its optimizer state. This version
  recompiles with the saved configuration and creates the optimizer's
  variables so that loading fills them.
- `_maybe_symbolic_build`: Keras' build before training, with the
  workaround for `MultiWorkerMirroredStrategy` of `_replicas.symbolic_build`.
- `_standardize_batch` and `_check_batch_shape`: a batch of examples as a
  float tensor, its shape checked against the model's example shape with
  one error message for every model.
- **Data checks**: `fit` and `evaluate` first look at the first batch of
  their data and raise a `ValueError` for NaN or infinite values or values
  outside `data_value_range` (what the model's likelihood or generator
  expects), naming the fix (`x / 255`, `kgen.datasets.to_tanh_range`);
  `check_data_range=False` skips it (`kgen.models._data_range`).
- `save`: a kgen model is saved as a `.keras` file (or exported); legacy
  `.h5`/`.hdf5` files are refused, since Keras cannot load a kgen model
  from one.
"""

import inspect

import keras
import tensorflow as tf

from kgen import _validation
from kgen.models import _data_range, _replicas


class Model(keras.Model):
    """`keras.Model` with the contract of kgen's models (see the module docstring).

    Class attributes (a subclass overrides them, saying why):
        default_jit_compile: what `compile(jit_compile=None)` means: Keras'
            `"auto"` (XLA with a GPU, not on the CPU), `True` or `False`.
        default_steps_per_execution: what `compile(steps_per_execution=None)`
            means: 8 by default (Keras: 1), so `fit` runs 8 steps per call of
            its compiled function, amortising Keras' per-step Python work
            (callbacks then see every 8th batch; pass 1 for Keras' behaviour).
        serving_default_signature: the name of the export signature that is
            also exported as `serving_default`.
        sample_value_range: `(low, high)`, the range of `sample`'s values.
        data_value_range: `(low, high)`, the range of the data the model is
            trained on, which `fit` and `evaluate` check on the first batch
            (a property: by default `sample_value_range`, since a model
            learns data like those it draws; the VAE and RealNVP say
            otherwise for real-valued data). Either bound may be infinite.

    A subclass defines `_export_signatures()`: a dict of signature name ->
    `tf.function` with an input signature, each returning a dict of named
    output tensors and using stock TensorFlow ops only (TF Serving cannot
    load kgen's custom ops); its docstring lists the signatures' inputs and
    outputs with shapes.
    """

    default_jit_compile = "auto"
    default_steps_per_execution = 8
    serving_default_signature = None
    sample_value_range = (0.0, 1.0)
    # The constructor arguments `get_config` saves, each read from the
    # attribute of the same name; those in `_nested_config_arguments` are
    # Keras objects (networks), serialised and deserialised as such.
    _config_arguments = ()
    _nested_config_arguments = ()

    def get_config(self):
        """The base config plus every argument of `_config_arguments` (networks serialised)."""
        config = super().get_config()
        for name in self._config_arguments:
            value = getattr(self, name)
            if name in self._nested_config_arguments and value is not None:
                value = keras.saving.serialize_keras_object(value)
            config[name] = value
        return config

    @classmethod
    def from_config(cls, config):
        """The model of `get_config`'s dict, its networks deserialised."""
        config = dict(config)
        for name in cls._nested_config_arguments:
            if config.get(name) is not None:
                config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls(**config)

    @property
    def data_value_range(self):
        """`(low, high)`: the values `fit` and `evaluate` accept; by default `sample_value_range`."""
        return self.sample_value_range

    def fit(self, x=None, y=None, *args, check_data_range=True, **kwargs):
        """`keras.Model.fit`, after a check of the first batch of `x` and of `validation_data`.

        Args:
            x, y, *args, **kwargs: as `keras.Model.fit`.
            check_data_range: bool. If `True` (default), the first batch of
                `x` (and of `validation_data`) must hold finite values in
                `data_value_range` (`kgen.models._data_range` says how each
                kind of input is read, and the rules); `False` skips the
                check. Not saved: it is an argument of this call only.

        Raises:
            ValueError: for a first batch with NaN or infinite values, or
                values out of the model's range; the message names the
                range expected, the range found and the likely fix.
        """
        call = inspect.signature(keras.Model.fit).bind(self, x, y, *args, **kwargs)
        if _validation.boolean("check_data_range", check_data_range):
            self._check_data(call, ("x", "validation_data"))
        return super().fit(*call.args[1:], **call.kwargs)

    def evaluate(self, x=None, y=None, *args, check_data_range=True, **kwargs):
        """`keras.Model.evaluate`, after a check of the first batch of `x` (see `fit`).

        Args:
            x, y, *args, **kwargs: as `keras.Model.evaluate`.
            check_data_range: bool; `False` skips the check.

        Raises:
            ValueError: as `fit`.
        """
        call = inspect.signature(keras.Model.evaluate).bind(self, x, y, *args, **kwargs)
        # `fit`'s validation (`_use_cached_eval_dataset`) was checked when `fit` began.
        check_data_range = _validation.boolean("check_data_range", check_data_range)
        if check_data_range and not kwargs.get("_use_cached_eval_dataset"):
            self._check_data(call, ("x",))
        return super().evaluate(*call.args[1:], **call.kwargs)

    def _check_data(self, call, names):
        """Checks the first batch of each argument of `call` in `names` against `data_value_range`.

        A generator argument is replaced in `call` by one that yields the
        peeked element first (`_data_range.first_batch`).
        """
        for name in names:
            data = call.arguments.get(name)
            if name == "validation_data" and isinstance(data, (tuple, list)):
                data = data[0]  # (x_val, y_val) or (x_val, y_val, weights)
            batch, restored = _data_range.first_batch(data, call.arguments.get("batch_size"))
            _data_range.check(batch, self.data_value_range, type(self).__name__, name)
            if restored is not data:
                call.arguments[name] = restored

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """`keras.Model.save` to a `.keras` file; legacy `.h5`/`.hdf5` files are refused.

        Keras' legacy HDF5 files name the model's class without the package
        it is registered under (`kgen>VAE`), so `keras.saving.load_model`
        cannot load them back. For TF Serving, use `export`.

        Raises:
            ValueError: if `filepath` ends in `.h5` or `.hdf5`.
        """
        if str(filepath).lower().endswith((".h5", ".hdf5")):
            raise ValueError(
                f"`filepath` must end in .keras for a kgen model (Keras cannot load a "
                f"{type(self).__name__} from a legacy HDF5 file; `export` writes a SavedModel). "
                f"Received: filepath={str(filepath)!r}"
            )
        return super().save(filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def _init_seed(self, seed):
        """Checks `seed` (None or an int) and makes the model's `SeedGenerator` of it.

        Sets `self.seed` (a Python int or None, saved in the config) and
        `self.seed_generator`. Returns `self.seed`.
        """
        self.seed = _validation.seed(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        return self.seed

    def _seed_generator_for(self, seed):
        """The model's `SeedGenerator` for `seed=None`, else a fresh one of `seed` (checked)."""
        if seed is None:
            return self.seed_generator
        return keras.random.SeedGenerator(_validation.seed(seed))

    def _compile_options(self, jit_compile=None, steps_per_execution=None):
        """`(jit_compile, steps_per_execution)`: `None` means the class default; strategy checked."""
        return _replicas.compile_options(
            self,
            jit_compile,
            steps_per_execution,
            default_jit=self.default_jit_compile,
            default_steps=self.default_steps_per_execution,
        )

    def _default_optimizer(self):
        """The optimizer `compile(optimizer=None)` makes: Keras' `Adam()` unless overridden."""
        return keras.optimizers.Adam()

    def compile(self, optimizer=None, jit_compile=None, steps_per_execution=None, **kwargs):
        """Configures training as `keras.Model.compile`, with the model's defaults.

        Args:
            optimizer: an optimizer instance, name or config; `None` means
                the model's default (`_default_optimizer`, made inside the
                model's strategy scope).
            jit_compile: `None` means the class's `default_jit_compile`.
            steps_per_execution: `None` means the class's
                `default_steps_per_execution`.
            **kwargs: other `keras.Model.compile` arguments (no `loss`: the
                loss is the model's).

        Under a `tf.distribute` strategy with several replicas (model
        created and compiled inside `strategy.scope()`) XLA is off and
        `steps_per_execution` is 1; asking for either falls back with a
        warning, since Keras 3 cannot run them there (`_replicas`).
        """
        if optimizer is None:
            # Made here, the optimizer belongs to the model's strategy.
            with self.distribute_strategy.scope():
                optimizer = self._default_optimizer()
        self._compile_keras(optimizer, jit_compile, steps_per_execution, **kwargs)

    def _compile_keras(self, optimizer, jit_compile=None, steps_per_execution=None, **kwargs):
        """`keras.Model.compile` with `jit_compile` and `steps_per_execution` resolved.

        `None` for either means the class default (`_compile_options`). A
        model with several optimizers (the GANs) passes `optimizer=None`
        and keeps its own.
        """
        jit_compile, steps_per_execution = self._compile_options(jit_compile, steps_per_execution)
        super().compile(
            optimizer=optimizer,
            jit_compile=jit_compile,
            steps_per_execution=steps_per_execution,
            **kwargs,
        )

    def _minimise(self, share, compute):
        """One gradient step on the loss that `compute()` returns first.

        Runs `compute()` under a `tf.GradientTape`; its first output is the
        scalar mean loss of this replica's rows. The layers' regularisation
        losses (`self.losses`) are added for the gradient only, the sum is
        weighted by the replica's `share` of the global batch (so the
        gradients the optimizer sums over replicas are those of the
        global-batch mean), and the optimizer applies the gradients to all
        trainable weights.

        Returns:
            Whatever `compute()` returned.
        """
        with tf.GradientTape() as tape:
            outputs = compute()
            loss = outputs[0]
            total_loss = loss + sum(self.losses) if self.losses else loss
            total_loss = self.optimizer.scale_loss(share.scale(total_loss))
        gradients = tape.gradient(total_loss, self.trainable_weights)
        self.optimizer.apply(gradients, self.trainable_weights)
        return outputs

    def export(self, path, overwrite=False):
        """Writes a SavedModel for TF Serving, with stock TensorFlow ops only.

        The signatures are those of the model's `_export_signatures` (see
        its docstring for names, inputs and outputs); the one named by
        `serving_default_signature` is also `serving_default`. The write is
        atomic (`kgen.export.export_model`): `path` is either absent or a
        complete SavedModel. Check an export with
        `kgen.serving.check_serving`.

        Args:
            path: the SavedModel folder to create (for TF Serving, ending in
                a version number, e.g. `exports/vae/1`).
            overwrite: whether to replace an existing export at `path`.

        Returns:
            The absolute path written, as a `str`.
        """
        from kgen.export import export_model

        return export_model(
            self,
            path,
            signatures=self._export_signatures(),
            serving_default=self.serving_default_signature,
            overwrite=overwrite,
        )

    # A model with several optimizers (a GAN's two) names them here: the
    # attributes, `compile` arguments and saved config keys that hold them
    # (see `_compile_optimizers`).
    _OPTIMIZER_NAMES = ()

    def _compile_optimizers(self, optimizers, jit_compile=None, steps_per_execution=None, **kwargs):
        """`compile` for a model with several optimizers, each updating its own weights.

        Args:
            optimizers: `{name: (optimizer, weights)}` for each name of
                `_OPTIMIZER_NAMES`: an optimizer instance, name or config
                (`None`: `_default_optimizer()`), and the variables it updates.
            jit_compile, steps_per_execution, **kwargs: as `compile`.

        The optimizers are made and their variables created inside the
        model's strategy scope (created by the first step inside `fit`'s
        compiled loop, they would not be mirrored correctly); each must be a
        different object, since each keeps its own state. Keras itself gets
        no optimizer (none is made for it to save); `get_compile_config`
        saves these instead.

        Raises:
            ValueError: "`g_optimizer` must be a different optimizer object
                from `d_optimizer` ..." for one object given twice.
        """
        with self.distribute_strategy.scope():
            made = {name: keras.optimizers.get(optimizers[name][0]) or self._default_optimizer()
                    for name in self._OPTIMIZER_NAMES}
        for later, name in enumerate(self._OPTIMIZER_NAMES):
            for earlier in self._OPTIMIZER_NAMES[:later]:
                if made[name] is made[earlier]:
                    raise ValueError(
                        f"`{name}` must be a different optimizer object from `{earlier}` (each "
                        f"keeps its own state). Received: {name}={made[name]!r}"
                    )
        jit_compile, steps_per_execution = self._compile_options(jit_compile, steps_per_execution)
        self._compile_keras(None, jit_compile, steps_per_execution, **kwargs)
        with self.distribute_strategy.scope():
            for name, optimizer in made.items():
                setattr(self, name, optimizer)
                optimizer.build(optimizers[name][1])
        self._optimizers_compile_config = {
            "jit_compile": jit_compile, "steps_per_execution": steps_per_execution}

    def get_compile_config(self):
        """Keras' compile config; with several optimizers, each under its name, and the compile options."""
        if not self._OPTIMIZER_NAMES:
            return super().get_compile_config()
        if getattr(self, self._OPTIMIZER_NAMES[0], None) is None:
            return {}
        return {
            **{name: keras.saving.serialize_keras_object(getattr(self, name))
               for name in self._OPTIMIZER_NAMES},
            **self._optimizers_compile_config,
        }

    def compile_from_config(self, config):
        """Recompiles a loaded model as it was compiled when saved, optimizer state included."""
        if self._OPTIMIZER_NAMES:
            config = dict(config)
            for name in self._OPTIMIZER_NAMES:
                config[name] = keras.saving.deserialize_keras_object(config[name])
            # `_compile_optimizers` creates the optimizers' variables, so
            # loading restores their state.
            self.compile(**config)
            return
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            # Create the optimizer's variables, so that loading restores their state.
            self.optimizer.build(self.trainable_variables)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Keras' build before training, without the reduction of the first
        # batch that fails under MultiWorkerMirroredStrategy (see `_replicas`).
        _replicas.symbolic_build(self, super()._maybe_symbolic_build, iterator, data_batch)

    def _standardize_batch(self, x, example_shape, name="x"):
        """Converts `x` to a `compute_dtype` tensor and checks its shape.

        Args:
            x: array or tensor of shape `(batch_size, *example_shape)`.
            example_shape: tuple of ints, the shape of one example.
            name: the argument's name in the error message.

        Returns:
            `x` as a tensor of the same shape and the model's `compute_dtype`.

        Raises:
            ValueError: if the rank of `x` or a known size of its example
                axes differs from `example_shape` (see `_check_batch_shape`).
        """
        x = keras.ops.cast(keras.ops.convert_to_tensor(x), self.compute_dtype)
        if x.shape.rank is None:
            # `fit` may retrace its train function with relaxed shapes (even an
            # unknown rank); then the check can only happen when it runs.
            return tf.ensure_shape(x, (None, *example_shape))
        self._check_batch_shape(tuple(x.shape), example_shape, name)
        return x

    def _check_batch_shape(self, shape, example_shape, name="x"):
        """Raises unless `shape` is `(batch_size, *example_shape)`; unknown sizes (`None`) pass."""
        if len(shape) != len(example_shape) + 1 or any(
            got is not None and got != want for got, want in zip(shape[1:], example_shape)
        ):
            expected = ", ".join(map(str, example_shape))
            raise ValueError(
                f"`{name}` must have shape (batch_size, {expected}). "
                f"Received: {name}.shape={shape}"
            )
