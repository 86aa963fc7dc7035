"""DRAW's Gaussian attention: an N x N grid of 2D Gaussian filters on an image.

Gregor et al. (arXiv 1502.04623, section 3.2) read and write through a
grid of `N x N` Gaussian filters laid over an image of width `A` and height
`B`. Five numbers, emitted by a linear layer from the decoder state, place
the grid:

```
(g~X, g~Y, log sigma^2, log delta~, log gamma) = W h_dec + b
gX    = (A + 1) / 2 * (g~X + 1)            grid centre, column
gY    = (B + 1) / 2 * (g~Y + 1)            grid centre, row
delta = (max(A, B) - 1) / (N - 1) * delta~ stride between filters
sigma^2 = exp(log sigma^2)                  variance of every filter
gamma   = exp(log gamma)                    intensity (read: times gamma;
                                            write: divided by gamma)
```

Positions are in the paper's 1-based pixel coordinates: column `a = 1..A`,
row `b = 1..B`, so `g~X = 0` puts the grid on the image's centre
`(A + 1) / 2`, and `g~X = -1, +1` on the outer edges 0 and `A + 1`. For
`N = 1` the stride is irrelevant (one filter); `delta = (max(A, B) - 1) *
delta~` is used so that it stays finite.

Filter `i = 1..N` of the grid is centred on

```
mu_X^i = gX + (i - N/2 - 0.5) delta,   mu_Y^j = gY + (j - N/2 - 0.5) delta
```

and the filterbank matrices are the normalised Gaussians

```
F_X[i, a] = exp(-(a - mu_X^i)^2 / (2 sigma^2)) / Z_X^i,   Z_X^i = sum_a exp(...)
F_Y[j, b] = exp(-(b - mu_Y^j)^2 / (2 sigma^2)) / Z_Y^j
```

so every row sums to 1. The normalisation is computed as a softmax over
`a` (the largest exponent is subtracted first): the same numbers, but when
a filter sits far outside the image and every `exp` underflows, the row
still sums to 1 (all weight on the nearest edge pixel) where `exp / Z`
would divide 0 by 0. That is why other implementations add a small epsilon
to `Z` (their rows then sum to about 0 there, not 1); the softmax needs
none.

With them, per channel of an image `x` (`B x A`) and a patch `w` (`N x N`):

```
read(x)  = gamma * F_Y x F_X^T          (N x N)
write(w) = 1 / gamma * F_Y^T w F_X      (B x A)
```

Here images are `(batch, height, width, channels)` = `(batch, B, A, C)`
tensors and every channel shares the filterbank.
"""

import math

import keras


def attention_params(params, n, width, height):
    """Maps the five linear outputs to the grid's parameters.

    Args:
        params: tensor `(batch, 5)`: `g~X, g~Y, log sigma^2, log delta~,
            log gamma`, in that order.
        n: int >= 1, the grid size `N`.
        width: int `A`, the image width in pixels.
        height: int `B`, the image height in pixels.

    Returns:
        A tuple `(gx, gy, sigma2, delta, gamma)` of tensors of shape
        `(batch,)`: the grid centre in 1-based pixel coordinates (column,
        row), the filters' variance and stride in pixels, and the intensity.
    """
    g_x, g_y, log_sigma2, log_delta, log_gamma = keras.ops.unstack(params, 5, axis=-1)
    gx = (width + 1) / 2 * (g_x + 1.0)
    gy = (height + 1) / 2 * (g_y + 1.0)
    delta = (max(width, height) - 1) / max(n - 1, 1) * keras.ops.exp(log_delta)
    return gx, gy, keras.ops.exp(log_sigma2), delta, keras.ops.exp(log_gamma)


def filterbank(gx, gy, sigma2, delta, n, width, height):
    """The horizontal and vertical filterbank matrices `F_X` and `F_Y`.

    `F_X[i, a] = exp(-(a - mu_X^i)^2 / (2 sigma^2)) / Z_X^i` with
    `mu_X^i = gX + (i - N/2 - 0.5) delta`, `i = 1..N`, `a = 1..A` (and
    `F_Y` alike over rows `b = 1..B`); every row sums to 1 (see the module
    docstring for why it is computed as a softmax).

    Args:
        gx, gy: tensors `(batch,)`, the grid centre (1-based column, row).
        sigma2: tensor `(batch,)`, the filters' variance in pixels^2, > 0.
        delta: tensor `(batch,)`, the stride between filters in pixels.
        n: int >= 1, the grid size `N`.
        width: int `A`, the image width in pixels.
        height: int `B`, the image height in pixels.

    Returns:
        A tuple `(fx, fy)`: `fx` of shape `(batch, N, A)` and `fy` of shape
        `(batch, N, B)`.
    """
    offsets = keras.ops.arange(1, n + 1, dtype=gx.dtype) - n / 2 - 0.5  # (N,)
    two_sigma2 = 2.0 * sigma2[:, None, None]

    def bank(centre, size):
        mu = centre[:, None] + offsets[None, :] * delta[:, None]  # (batch, N)
        pixels = keras.ops.arange(1, size + 1, dtype=gx.dtype)  # (size,)
        exponent = -keras.ops.square(pixels[None, None, :] - mu[:, :, None]) / two_sigma2
        return keras.ops.softmax(exponent, axis=-1)  # (batch, N, size)

    return bank(gx, width), bank(gy, height)


def read(images, fx, fy, gamma):
    """`gamma * F_Y x F_X^T` for each image and channel: the `N x N` glimpse.

    Args:
        images: tensor `(batch, B, A, C)`.
        fx: tensor `(batch, N, A)`; fy: tensor `(batch, N, B)`.
        gamma: tensor `(batch,)`.

    Returns:
        A tensor `(batch, N, N, C)`: row `j`, column `i` is filter `(i, j)`'s
        weighted sum of the image.
    """
    rows = keras.ops.einsum("bjy,byxc->bjxc", fy, images)  # F_Y x
    patch = keras.ops.einsum("bjxc,bix->bjic", rows, fx)  # (F_Y x) F_X^T
    return gamma[:, None, None, None] * patch


def write(patches, fx, fy, gamma):
    """`1 / gamma * F_Y^T w F_X` for each patch and channel: the image update.

    Args:
        patches: tensor `(batch, N, N, C)`, the patch `w` to write.
        fx: tensor `(batch, N, A)`; fy: tensor `(batch, N, B)`.
        gamma: tensor `(batch,)`.

    Returns:
        A tensor `(batch, B, A, C)`.
    """
    columns = keras.ops.einsum("bjic,bix->bjxc", patches, fx)  # w F_X
    image = keras.ops.einsum("bjy,bjxc->byxc", fy, columns)  # F_Y^T (w F_X)
    return image / gamma[:, None, None, None]


def window_boxes(gx, gy, delta, n):
    """The square each grid covers, for drawing: `N * delta` pixels a side.

    Args:
        gx, gy: tensors `(batch,)`, the grid centre (1-based column, row).
        delta: tensor `(batch,)`, the stride in pixels.
        n: int, the grid size `N`.

    Returns:
        A tensor `(batch, 4)`: `(x_min, y_min, x_max, y_max)` in 0-based
        pixel-edge coordinates, where pixel (row `r`, column `c`) covers
        `[c, c + 1) x [r, r + 1)`. The 1-based centre `gX` is the 0-based
        position `gX - 0.5`. A grid with `N = A`, `delta = 1` centred on
        the image covers exactly `[0, A] x [0, B]`.
    """
    half = n * delta / 2.0
    x, y = gx - 0.5, gy - 0.5
    return keras.ops.stack([x - half, y - half, x + half, y + half], axis=-1)


def initial_params(n, width, height, role):
    """The bias that DRAW gives its `Dense(5)` attention layers at the start.

    With a zero bias, `g~ = 0, sigma^2 = 1, delta~ = 1, gamma = 1`: a grid
    centred on the image, but stretched to its edges (stride `(A - 1) /
    (N - 1)`) with sharp filters, so a `2 x 2` read sees the four corner
    pixels, blank on MNIST, and the writes are sparse dots. This bias
    instead tiles the image: the grid is centred, its stride is `max(A, B)
    / N` (the `N x N` filters cover the image in blocks) and `sigma` is
    half the stride, so that neighbouring filters overlap; the first read
    is a blurred `N x N` view of the whole image, the first write a smooth
    `N x N` picture over the whole canvas. The intensity keeps the scale
    of a read and write without attention, which see every pixel:

    - `role="read"`: `gamma = sqrt(A B) / N`, so the glimpse's sum of
      squares is about the image's (each filter averages about `A B / N^2`
      pixels);
    - `role="write"`: `1 / gamma = A B / N^2`, so each patch value moves
      the logits of the pixels it covers by about its own size (a write
      spreads the patch's sum over the canvas).

    The layers' kernels then move the grid per image and per step.

    Args:
        n: int >= 1, the grid size `N`.
        width: int `A`, the image width in pixels.
        height: int `B`, the image height in pixels.
        role: `"read"` or `"write"`.

    Returns:
        A list of five floats: `g~X, g~Y, log sigma^2, log delta~, log gamma`.
    """
    side = max(width, height)
    stride = side / n
    log_delta = 0.0 if n == 1 else math.log(stride * (n - 1) / (side - 1))
    log_sigma2 = 2.0 * math.log(stride / 2.0)
    if role == "read":
        log_gamma = math.log(math.sqrt(width * height) / n)
    elif role == "write":
        log_gamma = -math.log(width * height / n**2)
    else:
        raise ValueError(f"`role` must be 'read' or 'write'. Received: role={role!r}")
    return [0.0, 0.0, log_sigma2, log_delta, log_gamma]
