"""`ReflectionPadding2D`: pads height and width with the image's mirror image.

The padding of the CycleGAN generators (Zhu et al. 2017, arXiv 1703.10593,
after Johnson et al.'s style-transfer networks): zeros around an image are
an edge the generator can see and draw, a reflection continues the image.
A registered layer rather than a `Lambda`, so that a model holding it
reloads with `safe_mode=True`; it runs `keras.ops.pad(..., mode="reflect")`,
TensorFlow's stock `MirrorPad` op.
"""

import keras

from kgen import _validation


def _padding_pairs(padding):
    """`padding` as `((top, bottom), (left, right))`, from an int, `(rows, cols)` or the pairs."""
    expectation = "an int >= 0, a pair (rows, cols) or ((top, bottom), (left, right)) of ints >= 0"
    size = _validation.as_int(padding)
    if size is not None:
        pairs = ((size, size), (size, size))
    elif isinstance(padding, (tuple, list)) and len(padding) == 2:
        sizes = [_validation.as_int(p) for p in padding]
        if None not in sizes:
            pairs = ((sizes[0], sizes[0]), (sizes[1], sizes[1]))
        elif all(isinstance(p, (tuple, list)) and len(p) == 2 for p in padding):
            pairs = tuple(tuple(_validation.as_int(side) for side in p) for p in padding)
        else:
            pairs = None
    else:
        pairs = None
    if pairs is None or any(side is None or side < 0 for pair in pairs for side in pair):
        _validation.fail("padding", expectation, padding)
    return pairs


@keras.saving.register_keras_serializable(package="kgen")
class ReflectionPadding2D(keras.layers.Layer):
    """Pads the rows and columns of channels-last images by reflection about their edges.

    The edge row is the mirror and is not repeated (PyTorch's
    `nn.ReflectionPad2d`, `np.pad(mode="reflect")`): padding the row
    `a b c d` by 2 on each side gives `c b a b c d c b`,

    ```
    y[i, j] = x[r(i - top, H), r(j - left, W)],  r(k, n) = |k| if k < n else 2 (n - 1) - k
    ```

    so each side's padding must be at most `size - 1`.

    Args:
        padding: an int (the same on all four sides), a pair `(rows, cols)`
            (`rows` above and below, `cols` left and right) or
            `((top, bottom), (left, right))`, ints >= 0, as
            `keras.layers.ZeroPadding2D` takes it.
        **kwargs: base layer arguments (`name`, `dtype`).

    Input shape:
        `(batch, height, width, channels)`.

    Output shape:
        `(batch, top + height + bottom, left + width + right, channels)`.

    Raises:
        ValueError: for a malformed `padding`, or one that reaches past the
            opposite edge (a side's padding >= height or width).
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = _padding_pairs(padding)
        self.input_spec = keras.layers.InputSpec(ndim=4)

    def build(self, input_shape):
        (top, bottom), (left, right) = self.padding
        height, width = input_shape[1], input_shape[2]
        if (height is not None and max(top, bottom) >= height) or (
            width is not None and max(left, right) >= width
        ):
            raise ValueError(
                "`padding` must be at most height - 1 rows and width - 1 columns on "
                f"each side for inputs of shape {tuple(input_shape)}: reflection "
                f"mirrors the image about its edge. Received: padding={self.padding!r}"
            )

    def call(self, inputs):
        (top, bottom), (left, right) = self.padding
        return keras.ops.pad(inputs, ((0, 0), (top, bottom), (left, right), (0, 0)), mode="reflect")

    def compute_output_shape(self, input_shape):
        (top, bottom), (left, right) = self.padding
        batch, height, width, channels = input_shape
        height = None if height is None else height + top + bottom
        width = None if width is None else width + left + right
        return (batch, height, width, channels)

    def get_config(self):
        base_config = super().get_config()
        return {**base_config, "padding": self.padding}
