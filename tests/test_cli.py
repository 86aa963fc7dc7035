"""Tests for the `kgen` command line (kgen.cli), run in-process through `main`."""

import contextlib
import dataclasses
import io
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from kgen import cli
from kgen import registry

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory):
    """One 1-epoch VAE run on the digits, shared by the tests that read it: (folder, what it printed)."""
    parent = tmp_path_factory.mktemp("runs")
    out = parent / "nested" / "vae"  # missing parents are created
    argv = ["train", "vae", "--epochs", "1", "--batch-size", "128", "--out", str(out), "--verbose", "2",
            "--importance-samples", "7"]
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        status = cli.main(argv)
    assert status == 0
    return out, printed.getvalue()


@pytest.fixture(scope="module")
def run_dir(vae_run):
    return vae_run[0]


def test_train_writes_a_complete_run(run_dir):
    assert sorted(os.listdir(run_dir)) == [
        "feature_extractor.keras", "logs", "metrics.json", "model.keras", "pictures", "saved_model"]
    assert sorted(os.listdir(run_dir / "pictures")) == [
        "curves.png",
        "history.json",
        "manifold_epoch001.png",
        "reconstructions_epoch001.png",
        "samples_epoch001.png",
    ]
    assert (run_dir / "saved_model" / "saved_model.pb").is_file()
    assert any(name.startswith("events.out.tfevents") for name in os.listdir(run_dir / "logs"))
    # Nothing partial is left beside the run.
    assert os.listdir(run_dir.parent) == ["vae"]


def test_train_metrics_json(run_dir):
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["units"] == "nats per example"
    assert metrics["epochs"] == 1 and metrics["num_train"] + metrics["num_validation"] == 1797
    assert set(metrics["train"]) == set(metrics["validation"]) == {"loss", "reconstruction", "kl"}
    held_out = metrics["held_out"]
    assert held_out["elbo_nats"] < 0 and np.isfinite(held_out["elbo_nats"])
    # The importance-weighted bound is at least as tight as the ELBO, up to
    # Monte Carlo noise (about 1 nat here).
    assert held_out["log_likelihood_nats"] > held_out["elbo_nats"] - 1.0
    assert held_out["log_likelihood_num_samples"] == 7  # --importance-samples


def test_train_prints_a_line_per_stage_after_fit(vae_run):
    # --verbose 2: Keras' line per epoch, then each held-out number, the
    # sample quality and the saving announced before they start.
    _, printed = vae_run
    lines = [line for line in printed.splitlines() if line.startswith(("held-out", "kgen train"))]
    assert lines[:2] == [
        "held-out evaluation: elbo_nats of 180 examples",
        "held-out evaluation: log_likelihood_nats (importance-weighted, K=7 samples each) of 180 examples",
    ]
    assert lines[2].startswith("kgen train: sample quality") and lines[3].startswith("kgen train: saving")
    assert lines[-1].startswith("kgen train: wrote")


def test_sample_writes_a_png_grid(run_dir, tmp_path, capsys):
    out = tmp_path / "grid.png"
    assert cli.main(["sample", str(run_dir), "--n", "16", "--out", str(out)]) == 0
    with Image.open(out) as image:
        # 4x4 tiles of 8x8 digits enlarged 8 times (the least for 256 pixels), 1-pixel pads.
        assert image.size == (4 * 64 + 3, 4 * 64 + 3)
    assert "wrote" in capsys.readouterr().out
    assert cli.main(["sample", str(run_dir), "--n", "16", "--out", str(out), "--scale", "2"]) == 0
    with Image.open(out) as image:
        assert image.size == (4 * 16 + 3, 4 * 16 + 3)


def test_export_writes_a_saved_model(run_dir, tmp_path):
    path = tmp_path / "exports" / "vae" / "1"
    assert cli.main(["export", str(run_dir), str(path)]) == 0
    loaded = tf.saved_model.load(str(path))
    assert {"serving_default", "sample", "reconstruct"} <= set(loaded.signatures)
    outputs = loaded.signatures["reconstruct"](x=tf.zeros([2, 8, 8, 1]))
    assert outputs["reconstruction"].shape == (2, 8, 8, 1)


# The GANs: the 1-epoch runs of `cli_run` (tests/conftest.py), shared with
# tests/test_zoo.py, which checks what every run folder holds; here what a
# GAN's holds besides.

GAN_RUNS = {
    # model: (data, files in pictures/ besides curves.png, history.json and samples_epoch001.png)
    "gan": ("toy2d", ["coverage_epoch001.png"]),
    "dcgan": ("digits", []),
    "cgan": ("digits", []),
    "wgan": ("digits", []),
}


@pytest.fixture(params=sorted(GAN_RUNS))
def gan_run(request, cli_run):
    """(model name, run folder) of a 1-epoch run of each GAN."""
    name = request.param
    return name, cli_run(name, GAN_RUNS[name][0])


def test_gan_train_writes_its_metrics_and_pictures(gan_run):
    name, run_dir = gan_run
    expected = sorted(["curves.png", "history.json", "samples_epoch001.png", *GAN_RUNS[name][1]])
    assert sorted(os.listdir(run_dir / "pictures")) == expected
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["model"] == name and metrics["num_train"] == metrics["num_validation"] == 128
    assert {"d_loss", "g_loss"} <= set(metrics["train"]) and {"d_loss", "g_loss"} <= set(metrics["validation"])
    held_out = metrics["held_out"]
    if name == "wgan":
        assert metrics["units"].startswith("critic units") and np.isfinite(held_out["wasserstein"])
        assert {"gradient_penalty", "wasserstein"} <= set(metrics["train"])
    else:
        assert metrics["units"].startswith("nats")
        # V(D, G) = E log D(x) + E log(1 - D(G(z))) <= 0.
        assert held_out["value_nats"] < 0
        assert {"d_real", "d_fake"} <= set(metrics["train"])
    if GAN_RUNS[name][0] == "toy2d":
        assert held_out["num_modes"] == 8 and 0 <= held_out["modes_covered"] <= 8
        assert 0.0 <= held_out["high_quality_fraction"] <= 1.0
        assert "modes_covered" in metrics["train"]  # logged each epoch by ModeCoverageCallback


def test_gan_sample_maps_tanh_outputs_to_0_1(gan_run, tmp_path):
    import keras

    import kgen.models  # noqa: F401
    from kgen import plotting

    name, run_dir = gan_run
    out = tmp_path / "grid.png"
    assert cli.main(["sample", str(run_dir), "--n", "20", "--out", str(out), "--seed", "3"]) == 0
    model = keras.saving.load_model(run_dir / "model.keras")
    samples = np.asarray(model.sample(20, seed=3))
    if samples.ndim == 2:  # toy2d points: a scatter plot
        expected = plotting.scatter_image(samples, title="20 samples")
    else:
        ncols = 10 if name == "cgan" else None  # one column per class
        scale = plotting.legible_scale(samples.shape[1:], 20, ncols)
        expected = plotting.image_grid((samples + 1) / 2, ncols=ncols, scale=scale)
    with Image.open(out) as image:
        picture = np.asarray(image)
    if name == "cgan":  # the grid in the bottom-right corner, class labels above it
        height, width = expected.shape[:2]
        assert picture.shape[0] > height
        picture = picture[-height:, -width:, :1]
    np.testing.assert_array_equal(picture.reshape(expected.shape), expected)


def test_cgan_sample_draws_the_class_of_label(cli_run, run_dir, tmp_path, capsys):
    import keras

    import kgen.models  # noqa: F401
    from kgen import plotting

    vae_dir = run_dir

    run_dir = cli_run("cgan", "digits")
    out = tmp_path / "sevens.png"
    assert cli.main(["sample", str(run_dir), "--n", "4", "--label", "7", "--seed", "3", "--scale", "4",
                     "--out", str(out)]) == 0
    model = keras.saving.load_model(run_dir / "model.keras")
    sevens = (np.asarray(model.generate(np.full(4, 7), seed=3)) + 1) / 2
    with Image.open(out) as image:
        picture = np.asarray(image)
    expected = plotting.image_grid(sevens, scale=4)
    height, width = expected.shape[:2]
    assert picture.shape[0] > height  # the title "class 7" above
    np.testing.assert_array_equal(picture[-height:, -width:, :1], expected)
    # One line, exit status 2: a class the model does not have, a model without classes.
    capsys.readouterr()
    assert cli.main(["sample", str(run_dir), "--label", "10", "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        "kgen sample: error: `--label` must be a class in [0, 10). Received: --label=10\n")
    assert cli.main(["sample", str(vae_dir), "--label", "3", "--out", str(out)]) == 2
    assert "`--label` needs a conditional model (cgan). Received: --label=3 for the VAE" in capsys.readouterr().err


def test_gan_export_writes_a_generate_signature(gan_run, tmp_path):
    name, run_dir = gan_run
    path = tmp_path / "exports" / name / "1"
    assert cli.main(["export", str(run_dir), str(path)]) == 0
    loaded = tf.saved_model.load(str(path))
    assert "generate" in loaded.signatures
    latent_dim = loaded.signatures["generate"].structured_input_signature[1]["z"].shape[1]
    inputs = {"z": tf.zeros([3, latent_dim])}
    if name == "cgan":
        inputs["labels"] = tf.constant([0, 4, 9], tf.int32)
    samples = loaded.signatures["generate"](**inputs)["samples"]
    assert samples.shape == ((3, 2) if GAN_RUNS[name][0] == "toy2d" else (3, 8, 8, 1))


def test_info_prints_versions(capsys):
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    for name, version in (("tensorflow", tf.__version__), ("numpy", np.__version__)):
        assert f"{name}:" in out and version in out
    for name in ("kgen:", "keras:", "tensorflow-probability:", "python:", "op library:", "cuda kernels:"):
        assert name in out


def test_help_exits_zero(capsys):
    assert cli.main(["--help"]) == 0
    assert "train" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, match",
    [
        ([], "a command is required"),
        (["train", "nope", "--out", "{out}"], "`MODEL` must be one of"),
        (["train", "vae", "--out", "{out}", "--data", "cifar"], "`--data` must be digits"),
        (["train", "vae", "--out", "{out}", "--data", "mnist:"], "`--data` must be digits"),
        (["train", "vae", "--out", "{out}", "--data", "mnist:{tmp}/missing.npz"], "must name an existing"),
        (["train", "vae", "--out", "{out}", "--data", "mnist:{tmp}/bad.npz"], "not a zip archive"),
        (["train", "vae", "--out", "{out}", "--data", "toy2d:moons"], "`--data` must be digits"),
        (["train", "vae", "--out", "{out}", "--epochs", "two"], "invalid int value"),
        (["train", "vae", "--out", "{out}", "--batch-size", "-1"], "`--batch-size` must be"),
        (["train", "vae", "--out", "{out}", "--learning-rate", "0"], "`--learning-rate` must be"),
        (["train", "dcgan", "--out", "{out}", "--data", "toy2d"], "`MODEL` dcgan needs image data"),
        (["train", "cgan", "--out", "{out}", "--data", "toy2d:grid"], "`MODEL` cgan needs image data"),
        (["train", "rbm", "--out", "{out}", "--data", "toy2d"], "`MODEL` rbm needs image data"),
        (["train", "wgan", "--out", "{out}", "--latent-dim", "0"], "`--latent-dim` must be an integer >= 1"),
        (["train", "gan", "--out", "{out}", "--max-examples", "0"], "`--max-examples` must be"),
        (["train", "gan", "--out", "{out}", "--sample-quality-samples", "3"],
         "`--sample-quality-samples` must be an integer >= 4"),
        (["train", "vae"], "required: --out"),
        (["train", "vae", "--out", "{tmp}/bad.npz"], "`--out` must be a folder"),
        (["train", "vae", "--out", "{tmp}/full"], "`--out` must be a new or empty folder"),
        (["train", "vae", "--out", ".", "--overwrite"], "`--out` must not be the current folder"),
        (["sample", "{tmp}/missing"], "`DIR` must be a folder written by `kgen train`"),
        (["sample", "{tmp}/missing", "--n", "0"], "`--n` must be an integer >= 1"),
        (["sample", "{tmp}/missing", "--scale", "0"], "`--scale` must be an integer >= 1"),
        (["sample", "{tmp}/missing", "--label", "-1"], "`--label` must be an integer >= 0"),
        (["train", "vae", "--out", "{out}", "--importance-samples", "0"],
         "`--importance-samples` must be an integer >= 1"),
        (["export", "{tmp}/missing", "{tmp}/full"], "`PATH` must not exist"),
        (["export", "{tmp}/missing", "{tmp}/new"], "`DIR` must be a folder written by `kgen train`"),
        # Your own data, and empty data.
        (["train", "vae", "--out", "{out}", "--data", "images:{tmp}/missing"],
         "`--data images:DIR` must name an existing folder of images"),
        (["train", "vae", "--out", "{out}", "--data", "images:{tmp}/bad.npz"], "(a file)"),
        (["train", "vae", "--out", "{out}", "--data", "images:{tmp}/full"], "`directory` must hold image files"),
        (["train", "vae", "--out", "{out}", "--data", "npz:{tmp}/missing.npz"],
         "`--data npz:PATH[:KEY[:LABEL_KEY]]` must name an existing .npz file"),
        (["train", "vae", "--out", "{out}", "--data", "npz:{tmp}/bad.npz"], "not a zip archive"),
        (["train", "vae", "--out", "{out}", "--data", "npz:{tmp}/unlabelled.npz:x:"], "non-empty array names"),
        (["train", "vae", "--out", "{out}", "--data", "npz:{tmp}/unlabelled.npz:images"],
         "`key` must name an array of"),
        (["train", "vae", "--out", "{out}", "--data", "npz:{tmp}/empty.npz"], "must hold at least one image"),
        (["train", "vae", "--out", "{out}", "--data", "mnist:{tmp}/empty.npz"],
         "the training data must hold at least one example"),
        (["train", "cgan", "--out", "{out}", "--data", "npz:{tmp}/unlabelled.npz"], "`MODEL` cgan needs labelled data"),
        (["train", "vae", "--out", "{out}", "--data", "npz:{tmp}/unlabelled.npz", "--image-size", "8x0"],
         "`--image-size` must be N or HxW"),
        (["train", "vae", "--out", "{out}", "--image-size", "8"], "`--image-size` applies to --data images:DIR"),
        (["train", "vae", "--out", "{out}", "--data", "npz:{tmp}/unlabelled.npz", "--color-mode", "cmyk"],
         "invalid choice: 'cmyk'"),
        # Two domains: the flags of cyclegan and discogan.
        (["train", "vae", "--out", "{out}", "--data-b", "digits"],
         "`--data-b` applies to the models of two domains (cyclegan, discogan)"),
        (["train", "cyclegan", "--out", "{out}", "--data-a", "toy2d"],
         "`MODEL` cyclegan needs images in both domains"),
        (["train", "discogan", "--out", "{out}", "--data-b", "images:{tmp}/missing"],
         "`--data-b images:DIR` must name an existing folder of images"),
        (["train", "cyclegan", "--out", "{out}", "--data-a", "npz:{tmp}/colour.npz"],
         "`--data-b` must be given when domain A is in colour"),
        # Output paths that cannot be written.
        (["train", "vae", "--out", "{tmp}/bad.npz/run"], "`--out` must be a path whose folders can be created"),
        pytest.param(["train", "vae", "--out", "/proc/nope"], "`--out` must be a path that can be written",
                     marks=pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")),
        pytest.param(["sample", "{tmp}/missing", "--out", "/proc/nope.png"], "`--out` must be a path that can be",
                     marks=pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")),
        pytest.param(["export", "{tmp}/missing", "/proc/nope/1"], "`PATH` must be a path that can be written",
                     marks=pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")),
        (["sample", "{tmp}/missing", "--out", "{tmp}/full/keep.txt/x.png"], "`--out` must be a path whose folders"),
    ],
)
def test_bad_arguments_exit_2_with_one_line_and_write_nothing(tmp_path, monkeypatch, capsys, argv, match):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.npz").write_text("not an archive")
    np.savez(tmp_path / "unlabelled.npz", x=np.zeros((4, 8, 8), np.uint8))
    np.savez(tmp_path / "colour.npz", x=np.zeros((20, 8, 8, 3), np.uint8))
    empty = np.zeros((0, 28, 28), np.uint8)
    np.savez(tmp_path / "empty.npz", x_train=empty, y_train=np.zeros(0, np.uint8), x_test=empty,
             y_test=np.zeros(0, np.uint8))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("keep")
    before = sorted(os.listdir(tmp_path))
    argv = [a.format(tmp=tmp_path, out=tmp_path / "out" / "run") for a in argv]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("kgen") and match in err
    assert sorted(os.listdir(tmp_path)) == before
    assert (tmp_path / "full" / "keep.txt").read_text() == "keep"


def test_data_forms_for_your_own_images(tmp_path):
    from kgen.cli import data
    from kgen.cli import parser

    rng = np.random.default_rng(0)
    path = tmp_path / "a:b.npz"  # a ":" in the path: the whole argument is tried first
    np.savez(path, images=rng.integers(0, 256, (10, 6, 6), dtype=np.uint8), labels=np.arange(10) % 3)
    assert parser.parse_data_spec(f"npz:{path}") == ("npz", (str(path), None, None))
    assert parser.parse_data_spec(f"npz:{path}:images") == ("npz", (str(path), "images", None))
    kind, argument = parser.parse_data_spec(f"npz:{path}:images:labels")
    assert argument == (str(path), "images", "labels")
    assert parser.parse_data_spec(f"images:{tmp_path}") == ("images", str(tmp_path))
    assert parser.parse_image_size("64") == (64, 64) and parser.parse_image_size("48x64") == (48, 64)
    (x_train, y_train), (x_val, y_val) = data.load(kind, argument, seed=0, image_size=(4, 4), color_mode="rgb")
    assert x_train.shape == (9, 4, 4, 3) and x_val.shape == (1, 4, 4, 3)  # 10% held out
    assert set(y_train) | set(y_val) == {0, 1, 2}


def test_train_on_a_folder_of_colour_images_clips_the_batch_size(tmp_path, capsys):
    import keras

    import kgen.models  # noqa: F401

    # 24 colour PNGs of 10x10 without class sub-folders: no labels. 2 are held out
    # (10%), so a batch of 64 is more than the 22 training images: clipped, and said.
    rng = np.random.default_rng(0)
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(24):
        Image.fromarray(rng.integers(0, 256, (10, 10, 3), dtype=np.uint8)).save(folder / f"{i:02d}.png")
    out = tmp_path / "run"
    argv = ["train", "dcgan", "--data", f"images:{folder}", "--image-size", "8", "--color-mode", "rgb",
            "--epochs", "1", "--batch-size", "64", "--out", str(out), "--verbose", "0"]
    assert cli.main(argv) == 0
    ours = [line for line in capsys.readouterr().err.splitlines() if line.startswith("kgen train: warning")]
    assert ours == ["kgen train: warning: --batch-size 64 is more than the 22 training examples; "
                    "using --batch-size 22, one step per epoch"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["batch_size"] == 22 and metrics["num_train"] == 22 and metrics["num_validation"] == 2
    assert "skipped" in metrics["sample_quality"]  # no labels to train a classifier on
    model = keras.saving.load_model(out / "model.keras")
    assert tuple(model.sample(2, seed=0).shape) == (2, 8, 8, 3)


def _fake_builder(error):
    def build(data_shape, args):
        raise error

    return build


def test_translation_between_your_own_two_domains(tmp_path):
    import keras

    import kgen.models  # noqa: F401

    # A: 30 grey 8x8 images without labels; B: 21 colour PNGs of 10x10 in two
    # class folders, resized to 8x8. Different counts, no pairs: trained, saved.
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "grey.npz", images=rng.integers(0, 256, (30, 8, 8), dtype=np.uint8))
    for label in ("red", "blue"):
        (tmp_path / "colour" / label).mkdir(parents=True)
        for i in range(11 if label == "red" else 10):
            Image.fromarray(rng.integers(0, 256, (10, 10, 3), dtype=np.uint8)).save(
                tmp_path / "colour" / label / f"{i:02d}.png")
    out = tmp_path / "run"
    argv = ["train", "discogan", "--data-a", f"npz:{tmp_path / 'grey.npz'}:images",
            "--data-b", f"images:{tmp_path / 'colour'}", "--image-size", "8", "--epochs", "1",
            "--batch-size", "8", "--out", str(out), "--verbose", "0"]
    assert cli.main(argv) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["num_train"] == 27 and metrics["num_train_b"] == 19  # 10% of each held out
    assert metrics["data_b"] == f"images:{tmp_path / 'colour'}"
    assert "skipped" in metrics["translation_quality"]  # A has no labels
    model = keras.saving.load_model(out / "model.keras")
    assert model.image_shape_a == (8, 8, 1) and model.image_shape_b == (8, 8, 3)
    assert {"translations_a_to_b_epoch001.png", "translations_b_to_a_epoch001.png"} <= set(
        os.listdir(out / "pictures"))


def test_sample_refuses_a_translation_model(tmp_path, capsys):
    from kgen import registry

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    registry.get("discogan").tiny((8, 8, 1), 0).save(run_dir / "model.keras")
    assert cli.main(["sample", str(run_dir), "--out", str(tmp_path / "s.png")]) == 2
    err = capsys.readouterr().err
    assert "`DIR` must hold a model that draws samples" in err and "translate_a_to_b" in err


@pytest.mark.parametrize("error, status", [(RuntimeError("boom"), None), (KeyboardInterrupt(), 130)])
def test_a_failed_run_leaves_nothing(tmp_path, monkeypatch, capsys, error, status):
    broken = dataclasses.replace(registry.get("vae"), name="broken", build=_fake_builder(error))
    monkeypatch.setattr(registry, "_ENTRIES", (*registry.entries(), broken))
    argv = ["train", "broken", "--out", str(tmp_path / "a" / "b" / "run")]
    if status is None:
        with pytest.raises(RuntimeError, match="boom"):
            cli.main(argv)
    else:
        assert cli.main(argv) == status
        assert capsys.readouterr().err == "kgen: interrupted\n"
    assert os.listdir(tmp_path) == []  # neither the run, its partial twin, nor created parents


def test_overwrite_replaces_a_run(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "old.txt").write_text("old")
    argv = ["train", "vae", "--data", "toy2d", "--epochs", "1", "--batch-size", "256"]
    argv += ["--out", str(out), "--overwrite", "--verbose", "0"]
    assert cli.main(argv) == 0
    assert not (out / "old.txt").exists() and (out / "model.keras").is_file()
    # 2D points: a scatter plot of samples, and real versus generated points.
    assert sorted(os.listdir(out / "pictures")) == ["coverage_epoch001.png", "curves.png", "history.json", "samples_epoch001.png"]
    assert json.loads((out / "metrics.json").read_text())["held_out"]["num_modes"] == 8
    assert os.listdir(tmp_path) == ["run"]


def test_python_dash_m_kgen_reports_bad_arguments(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "kgen", "train", "nope", "--out", str(tmp_path / "run")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert result.returncode == 2
    # TensorFlow may log to stderr on import; kgen's own message is one line.
    ours = [line for line in result.stderr.splitlines() if line.startswith("kgen")]
    assert ours == [
        f"kgen train: error: `MODEL` must be one of {sorted(registry.names())}. Received: MODEL='nope'"
    ]
    assert os.listdir(tmp_path) == []


def test_draw_run_writes_canvas_sequences_and_a_generate_signature(cli_run):
    out = cli_run("draw")
    pictures = set(os.listdir(out / "pictures"))
    assert {"generation_steps.png", "generation.gif", "reconstruction_steps.png", "reconstruction.gif"} <= pictures
    time_steps = registry.FLAGS["time_steps"].kwargs["default"]
    with Image.open(out / "pictures" / "generation.gif") as gif:
        assert gif.n_frames == time_steps  # one frame per glimpse
    metrics = json.loads((out / "metrics.json").read_text())
    held_out = metrics["held_out"]
    assert metrics["units"] == "nats per example"
    assert held_out["elbo_nats"] < 0 and held_out["log_likelihood_nats"] < 0
    loaded = tf.saved_model.load(str(out / "saved_model"))
    assert "generate" in loaded.signatures


def test_flow_run_reports_bits_per_dim(tmp_path):
    out = tmp_path / "flow"
    argv = ["train", "flow", "--data", "toy2d", "--epochs", "1", "--max-examples", "512"]
    argv += ["--out", str(out), "--verbose", "0"]
    assert cli.main(argv) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    held_out = metrics["held_out"]
    # Continuous 2D points: bits per coordinate = -log_prob / (2 log 2).
    np.testing.assert_allclose(held_out["bits_per_dim"], -held_out["log_prob_nats"] / (2 * np.log(2)), rtol=1e-5)
    assert held_out["num_modes"] == 8
    loaded = tf.saved_model.load(str(out / "saved_model"))
    assert {"sample", "log_prob"} <= set(loaded.signatures)


def test_rbm_run_reports_its_log_likelihood(tmp_path):
    out = tmp_path / "rbm"
    argv = ["train", "rbm", "--epochs", "1", "--batch-size", "32", "--n-hidden", "16"]
    argv += ["--max-examples", "128", "--out", str(out), "--verbose", "0"]
    assert cli.main(argv) == 0
    assert sorted(os.listdir(out)) == [
        "feature_extractor.keras", "logs", "metrics.json", "model.keras", "pictures", "saved_model"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"] == "rbm" and metrics["num_train"] == metrics["num_validation"] == 128
    assert metrics["units"] == "nats per example"
    # 16 hidden units: log Z is summed exactly, so log p(x) is exact; 64 binary pixels.
    assert set(metrics["held_out"]) == {"log_likelihood_nats"}
    assert -64 * np.log(2) < metrics["held_out"]["log_likelihood_nats"] < 0
    assert {"samples_epoch001.png", "reconstructions_epoch001.png"} <= set(os.listdir(out / "pictures"))
    assert cli.main(["sample", str(out), "--n", "4", "--out", str(tmp_path / "rbm.png")]) == 0


# `kgen --help`, `kgen train --help` and usage errors parse and check the
# arguments with the standard library alone: run in a fresh interpreter,
# they leave TensorFlow (and Keras, and kgen's models) unimported.
_IMPORTS_AFTER_MAIN = """
import contextlib, io, json, sys
from kgen.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.redirect_stderr(io.StringIO()) as err:
    status = main(sys.argv[1:])
heavy = [m for m in ("tensorflow", "keras", "kgen.models", "matplotlib", "sklearn") if m in sys.modules]
print(json.dumps({"status": status, "heavy": heavy, "out": out.getvalue(), "err": err.getvalue()}))
"""


def test_console_script_help_imports_no_tensorflow_and_import_kgen_registers_models(tmp_path):
    # The installed `kgen` script is lazy by its name; anywhere else `import
    # kgen` loads the models, so `keras.saving.load_model` finds kgen's classes.
    script = pathlib.Path(sys.executable).parent / "kgen"
    probe = "import sys; sys.argv = [sys.argv[1]]; import kgen; print('kgen.models' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe, str(script)], capture_output=True,
                            text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == "False", result.stderr
    result = subprocess.run([sys.executable, "-c", "import sys, kgen; print('kgen.models' in sys.modules)"],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == "True", result.stderr


@pytest.mark.parametrize(
    "argv, status",
    [
        (["--help"], 0),
        (["train", "--help"], 0),
        ([], 2),
        (["train", "nosuchmodel", "--out", "x"], 2),
        (["train", "vae", "--out", "x", "--epochs", "0"], 2),
        (["train", "vae", "--out", "x", "--data", "cifar"], 2),
        (["train", "dcgan", "--out", "x", "--data", "toy2d"], 2),
        (["train", "vae", "--out", "."], 2),
        (["sample", "missing"], 2),
        pytest.param(["train", "vae", "--out", "/proc/nope"], 2,
                     marks=pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")),
    ],
)
def test_help_and_usage_errors_import_no_tensorflow(tmp_path, argv, status):
    result = subprocess.run(
        [sys.executable, "-c", _IMPORTS_AFTER_MAIN, *argv],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "KGEN_LAZY_IMPORT": "1"},
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == status and report["heavy"] == []
    if status == 2:
        assert report["err"].count("\n") == 1 and report["err"].startswith("kgen")
    else:
        assert report["out"].startswith("usage: kgen")
    assert os.listdir(tmp_path) == []


def test_train_help_lists_every_registered_model_and_its_defaults(capsys):
    assert cli.main(["train", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    for entry in registry.entries():
        assert f"{entry.name} {entry.summary}" in out
    for flag in registry.FLAGS.values():
        assert flag.name in out
    from kgen.cli import parser

    # Each default rate once, with the rows that share it (read from the registry).
    for rate in {entry.learning_rate for entry in registry.entries()}:
        names = ", ".join(e.name for e in registry.entries() if e.learning_rate == rate)
        assert f"{parser._number(rate)} ({names})" in out, (rate, names)
    assert "2e-4 (gan, dcgan, cgan" in out and "0.02 (rbm)" in out


def test_cyclegan_generator_flag_builds_the_u_net(tmp_path):
    from kgen.cli import parser

    args = parser.make_parser().parse_args(
        ["train", "cyclegan", "--generator", "unet", "--out", str(tmp_path / "run")])
    entry, _ = parser.check_train(args)
    args.image_shape_b = (8, 8, 3)
    model = entry.build((8, 8, 1), args)
    assert model.get_config()["generator"] == "unet" and model.identity_weight == 0.0
    default = parser.make_parser().parse_args(["train", "cyclegan", "--out", str(tmp_path / "run")])
    assert default.generator == "resnet"
    with pytest.raises(parser.UsageError, match="invalid choice: 'vgg'"):
        parser.make_parser().parse_args(["train", "cyclegan", "--generator", "vgg", "--out", "x"])
