"""Learning-rate schedules of the papers kgen follows, as Keras 3 `LearningRateSchedule`s.

- `ConstantThenLinearDecay`: constant, then linearly down to zero: CycleGAN's
  schedule (Zhu et al. 2017, section 7.1: "we keep the same learning rate
  for the first 100 epochs and linearly decay the rate to zero over the
  next 100 epochs"), also the authors' code's `linear` policy.

A schedule is given to an optimizer as its `learning_rate`; it is saved in
the optimizer's config (registered with Keras under `kgen>`), so a `.keras`
file reloads it and training resumes on the same curve (the step is the
optimizer's `iterations`).

Example:

```python
steps_per_epoch = 1000                        # batches per epoch
schedule = kgen.schedules.ConstantThenLinearDecay.per_epoch(
    2e-4, steps_per_epoch, constant_epochs=100, decay_epochs=100)
model.compile(g_optimizer=keras.optimizers.Adam(schedule, beta_1=0.5),
              d_optimizer=keras.optimizers.Adam(schedule, beta_1=0.5))
```
"""

import keras

from kgen import _validation


@keras.saving.register_keras_serializable(package="kgen")
class ConstantThenLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """`initial_learning_rate`, then a linear decay towards zero, decremented every `k` steps.

    With `t` the optimizer's step (0 for the first update), `t' = k *
    floor(t / k)` (the step at the start of its decrement period), `C =
    constant_steps`, `D = decay_steps`:

    ```
    rate(t) = initial_learning_rate * (1 - clip((t' + k - C) / D, 0, 1))
    ```

    With `k` the steps of an epoch, `C = N k` and `D = (M + 1) k` this is
    the CycleGAN authors' `linear` policy per epoch `e = floor(t / k)`:
    `1 - max(0, e + 1 - N) / (M + 1)` for `N` constant and `M` decaying
    epochs (`per_epoch` builds it): the rate is constant for epochs
    `0 .. N - 1` and falls by `1 / (M + 1)` per epoch after, to `1 / (M +
    1)` of its start in the last epoch. With `k = 1` it decays every step
    and reaches zero at step `C + D - 1`.

    Args:
        initial_learning_rate: positive float, the rate of the constant part.
        constant_steps: int >= 0, `C`.
        decay_steps: int >= 1, `D`.
        steps_per_decrement: int >= 1, `k` (default 1: every step).
        name: optional name.
    """

    def __init__(self, initial_learning_rate, constant_steps, decay_steps, steps_per_decrement=1,
                 name=None):
        super().__init__()
        self.initial_learning_rate = _validation.positive_number(
            "initial_learning_rate", initial_learning_rate)
        self.constant_steps = _validation.non_negative_int("constant_steps", constant_steps)
        self.decay_steps = _validation.positive_int("decay_steps", decay_steps)
        self.steps_per_decrement = _validation.positive_int("steps_per_decrement", steps_per_decrement)
        self.name = name

    @classmethod
    def per_epoch(cls, initial_learning_rate, steps_per_epoch, constant_epochs=100, decay_epochs=100):
        """The CycleGAN authors' schedule: `constant_epochs` constant, then `decay_epochs` decaying.

        Args:
            initial_learning_rate: positive float (the paper: 2e-4).
            steps_per_epoch: int >= 1, optimizer steps per epoch (batches
                per epoch; `ceil(num_examples / batch_size)`).
            constant_epochs: int >= 0 (the paper: 100).
            decay_epochs: int >= 1 (the paper: 100).
        """
        steps_per_epoch = _validation.positive_int("steps_per_epoch", steps_per_epoch)
        constant_epochs = _validation.non_negative_int("constant_epochs", constant_epochs)
        decay_epochs = _validation.positive_int("decay_epochs", decay_epochs)
        return cls(initial_learning_rate, constant_epochs * steps_per_epoch,
                   (decay_epochs + 1) * steps_per_epoch, steps_per_decrement=steps_per_epoch)

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        k = float(self.steps_per_decrement)
        start = keras.ops.floor(step / k) * k
        decayed = keras.ops.clip((start + k - self.constant_steps) / self.decay_steps, 0.0, 1.0)
        return self.initial_learning_rate * (1.0 - decayed)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "constant_steps": self.constant_steps,
            "decay_steps": self.decay_steps,
            "steps_per_decrement": self.steps_per_decrement,
            "name": self.name,
        }
