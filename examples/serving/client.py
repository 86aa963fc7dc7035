"""
Title: REST client for a kgen VAE served by TF Serving
Description: Builds the JSON request of every signature; prints them or POSTs them.

Needs only the standard library and NumPy (no TensorFlow): this is what a
client machine of a TF Serving deployment has. See README.md in this folder
for exporting the model and starting the server.

```
python examples/serving/client.py                # print the request bodies
python examples/serving/client.py --url http://localhost:8501/v1/models/vae
python examples/serving/client.py --url ... --signature sample --format instances
```
"""

import argparse
import json
import sys
import urllib.error
import urllib.request

import numpy as np

## The signatures of `VAE.export`
# Every signature takes and returns named tensors (`None` is the batch):
#
# - `encode`:      x (None, *input_shape) float32 -> mean, stddev (None, latent_dim)
# - `decode`:      z (None, latent_dim) float32  -> mean (None, *input_shape)
# - `sample`:      num_samples int32 scalar, seed int64 (2,)
#                  -> samples (num_samples, *input_shape), z (num_samples, latent_dim)
# - `reconstruct`: x (None, *input_shape) float32 -> reconstruction (None, *input_shape)
# - `serving_default` is `reconstruct`; a request without `signature_name` gets it.
SIGNATURES = ("encode", "decode", "sample", "reconstruct", "serving_default")


def example_inputs(signature, input_shape, latent_dim, batch_size, rng):
    """The named inputs of one call of `signature`, as NumPy arrays."""
    if signature in ("encode", "reconstruct", "serving_default"):
        # Binary images, like the data a Bernoulli VAE is trained on.
        x = (rng.random((batch_size, *input_shape)) > 0.5).astype("float32")
        return {"x": x}
    if signature == "decode":
        return {"z": rng.standard_normal((batch_size, latent_dim)).astype("float32")}
    if signature == "sample":
        # Stateless: the same seed gives the same samples on every request.
        return {
            "num_samples": np.int32(batch_size),
            "seed": np.array([1, 2], dtype="int64"),
        }
    raise ValueError(
        f"`signature` must be one of {SIGNATURES}. Received: signature={signature!r}"
    )


## The two REST request formats
# Columnar ("inputs"): each input is one value holding the whole batch.
# It works for every signature, including `sample`, whose inputs are a
# scalar and a pair that have no batch dimension.
#
# Row ("instances"): a list with one object per example; every input must
# have the same batch size as its first dimension, so `sample` cannot use it.


def request_body(signature, inputs, fmt):
    """The JSON body of a `:predict` request."""
    body = {}
    if signature != "serving_default":
        body["signature_name"] = signature
    if fmt == "inputs":
        body["inputs"] = {name: value.tolist() for name, value in inputs.items()}
        return body
    if any(np.ndim(value) == 0 for value in inputs.values()):
        raise ValueError(
            f"`format` must be 'inputs' for signature {signature!r}: its inputs "
            f"{sorted(inputs)} have no common batch dimension. Received: format={fmt!r}"
        )
    batch_size = len(next(iter(inputs.values())))
    body["instances"] = [
        {name: value[i].tolist() for name, value in inputs.items()}
        for i in range(batch_size)
    ]
    return body


def post(url, body, timeout):
    """POSTs `body` to `{url}:predict` and returns the decoded JSON reply."""
    request = urllib.request.Request(
        url.rstrip("/") + ":predict",
        data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return json.load(reply)
    except urllib.error.HTTPError as e:
        # TF Serving explains a bad request in the body: {"error": "..."}.
        raise SystemExit(f"{url}: HTTP {e.code}: {e.read().decode('utf-8', 'replace')}")
    except urllib.error.URLError as e:
        raise SystemExit(
            f"{url}: cannot connect ({e.reason}). Is TF Serving running? See README.md."
        )


def summarize(reply):
    """Output name -> shape, for a columnar ("outputs") or row ("predictions") reply."""
    if "outputs" in reply:
        outputs = reply["outputs"]
        if not isinstance(outputs, dict):  # a single unnamed output
            outputs = {"output": outputs}
        return {name: list(np.shape(value)) for name, value in outputs.items()}
    rows = reply["predictions"]
    if rows and isinstance(rows[0], dict):
        return {name: [len(rows), *np.shape(rows[0][name])] for name in rows[0]}
    return {"predictions": list(np.shape(rows))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[1])
    parser.add_argument(
        "--url",
        help="model URL, e.g. http://localhost:8501/v1/models/vae; "
        "without it the request bodies are printed and nothing is sent",
    )
    parser.add_argument(
        "--print", action="store_true", help="print the request bodies (the default)"
    )
    parser.add_argument(
        "--signature", choices=SIGNATURES, action="append",
        help="signature to call (repeatable; default: all)",
    )
    parser.add_argument("--format", choices=("inputs", "instances"), default="inputs")
    parser.add_argument(
        "--input-shape", default="8,8,1",
        help="shape of one example, as exported (default: 8,8,1)",
    )
    parser.add_argument("--latent-dim", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args(argv)

    input_shape = tuple(int(d) for d in args.input_shape.split(","))
    rng = np.random.default_rng(0)
    for signature in args.signature or SIGNATURES:
        inputs = example_inputs(
            signature, input_shape, args.latent_dim, args.batch_size, rng
        )
        # `sample` has no batch dimension, so it is always sent columnar.
        fmt = "inputs" if signature == "sample" else args.format
        body = request_body(signature, inputs, fmt)
        if args.print or not args.url:
            print(f"# {signature}: POST <url>:predict")
            print(json.dumps(body))
        if args.url:
            reply = post(args.url, body, args.timeout)
            print(f"# {signature}: output shapes {json.dumps(summarize(reply))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
