"""Runs every example script end to end, on a tiny budget, in a fresh folder.

Each `examples/**/*.py` (except files starting with `_`, which are helpers)
runs in a subprocess with `KGEN_EXAMPLE_BUDGET=tiny` (examples then train
for one epoch on a small subset), no command-line arguments, and the
temporary test folder as working directory, so whatever an example writes
lands there. A new example is covered as soon as it is added.
"""

import os
import pathlib
import subprocess
import sys

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES_DIR = REPO_ROOT / "examples"
EXAMPLES = sorted(
    path
    for path in EXAMPLES_DIR.glob("**/*.py")
    if not any(part.startswith("_") for part in path.relative_to(EXAMPLES_DIR).parts)
)
TIMEOUT_S = 300
# Files (relative to the working directory) some examples must write.
EXPECTED_OUTPUTS = {
    "rbm_mnist.py": [
        "rbm_mnist_pictures/samples.png",
        "rbm_mnist_pictures/filters.png",
        "rbm_mnist_pictures/pseudo_log_likelihood.png",
    ],
    "conditional_gan_digits.py": [
        "conditional_gan_digits_pictures/samples_epoch001.png",
        "conditional_gan_digits_pictures/curves.png",
        "conditional_gan_digits_pictures/digits_by_class.png",
        "conditional_gan_digits_pictures/sevens.png",
        "conditional_gan_digits_pictures/conditional_gan_digits.keras",
    ],
    "cyclegan_digits.py": [
        "cyclegan_digits_pictures/translations_a_to_b_epoch001.png",
        "cyclegan_digits_pictures/translations_b_to_a_epoch001.png",
        "cyclegan_digits_pictures/curves.png",
        "cyclegan_digits_pictures/grey_to_colour.png",
        "cyclegan_digits_pictures/cyclegan_digits.keras",
        "cyclegan_digits_pictures/saved_model/saved_model.pb",
    ],
    "discogan_digits.py": [
        "discogan_digits_pictures/curves.png",
        "discogan_digits_pictures/grey_to_colour.png",
        "discogan_digits_pictures/colour_to_grey.png",
        "discogan_digits_pictures/discogan_digits.keras",
        "discogan_digits_pictures/saved_model/saved_model.pb",
    ],
    "dcgan_mnist.py": [
        "dcgan_mnist_pictures/samples_epoch001.png",
        "dcgan_mnist_pictures/curves.png",
        "dcgan_mnist_pictures/samples.png",
        "dcgan_mnist_pictures/interpolation.png",
        "dcgan_mnist_pictures/dcgan_mnist.keras",
        "dcgan_mnist_pictures/saved_model/saved_model.pb",
    ],
    "draw_mnist.py": [
        "draw_mnist_pictures/generation_steps.png",
        "draw_mnist_pictures/generation.gif",
        "draw_mnist_pictures/reconstruction_steps.png",
        "draw_mnist_pictures/reconstruction.gif",
        "draw_mnist_pictures/draw_mnist.keras",
        "draw_mnist_pictures/saved_model/saved_model.pb",
    ],
    "gan_toy2d.py": [
        "gan_toy2d_pictures/coverage_epoch001.png",
        "gan_toy2d_pictures/coverage_epoch002.png",
        "gan_toy2d_pictures/modes_covered.png",
        "gan_toy2d_pictures/samples.png",
    ],
    "realnvp_toy2d.py": [
        "realnvp_toy2d_pictures/samples_vs_data.png",
        "realnvp_toy2d_pictures/density.png",
        "realnvp_toy2d_pictures/loss.png",
        "realnvp_toy2d_pictures/realnvp_toy2d.keras",
    ],
    "vae_digits.py": [
        "vae_digits_pictures/samples.png",
        "vae_digits_pictures/reconstructions.png",
        "vae_digits_pictures/manifold.png",
        "vae_digits_pictures/interpolation.png",
        "vae_digits_pictures/elbo.png",
        "vae_digits_pictures/samples_epoch001.png",
        "vae_digits_pictures/vae_digits.keras",
    ],
    "wgan_gp_toy2d.py": [
        "wgan_gp_toy2d_pictures/coverage_epoch001.png",
        "wgan_gp_toy2d_pictures/coverage_epoch002.png",
        "wgan_gp_toy2d_pictures/wasserstein.png",
        "wgan_gp_toy2d_pictures/modes_covered.png",
        "wgan_gp_toy2d_pictures/samples.png",
    ],
}


def test_there_are_examples():
    assert EXAMPLES, f"no examples found under {EXAMPLES_DIR}"


@pytest.mark.slow
@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: str(p.relative_to(EXAMPLES_DIR)))
def test_example_runs(script, tmp_path):
    env = {
        **os.environ,
        "KGEN_EXAMPLE_BUDGET": "tiny",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "MPLBACKEND": "Agg",
    }
    # Scripts take no arguments here; examples/serving/client.py, for one,
    # then prints its request bodies without contacting a server.
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert result.returncode == 0, (
        f"{script.name} exited with {result.returncode}\n"
        f"--- stdout (tail) ---\n{result.stdout[-3000:]}\n--- stderr (tail) ---\n{result.stderr[-3000:]}"
    )
    relative = script.relative_to(EXAMPLES_DIR).as_posix()
    missing = [name for name in EXPECTED_OUTPUTS.get(relative, []) if not (tmp_path / name).is_file()]
    assert not missing, f"{relative} did not write {missing}"

