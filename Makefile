# The two commands of a fresh machine:
#   make demo   set up .venv, build the compiled core, train on the embedded digits,
#               write pictures, metrics and a SavedModel under runs/demo/
#   make test   the same set-up, then the test suite
# Both are idempotent: a second run only rebuilds what changed.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEPS_STAMP := $(VENV)/.kgen-deps
BUILD_STAMP := $(VENV)/.kgen-build
# What a rebuild of the compiled core (or of the editable install's map of
# packages) depends on.
BUILD_INPUTS := CMakeLists.txt pyproject.toml $(shell find cc -type f) \
                $(shell find kgen kgen_ops -name '__init__.py')
# Two test processes (pytest-xdist): many tests wait on subprocesses (fresh
# TensorFlow processes for serving checks, CLI runs, distributed workers).
PYTEST_ARGS ?= -n 2
DEMO_EPOCHS ?= 30

.PHONY: all setup build demo test info clean gpu-check

all: build

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Dependencies first, from pyproject.toml itself: the build needs TensorFlow
# importable (CMake asks it for its flags), so it runs without build isolation.
$(DEPS_STAMP): pyproject.toml | $(PY)
	$(PY) -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb')); \
	print('\n'.join(p['build-system']['requires'] + p['project']['dependencies'] \
	+ p['project']['optional-dependencies']['test'] + ['ninja', 'cmake>=3.25']))" > $(VENV)/kgen-requirements.txt
	$(PY) -m pip install -q -r $(VENV)/kgen-requirements.txt
	touch $@

setup: $(DEPS_STAMP)

$(BUILD_STAMP): $(DEPS_STAMP) $(BUILD_INPUTS)
	$(PY) -m pip install -q --no-build-isolation --no-deps -e .
	touch $@

build: $(BUILD_STAMP)

demo: $(BUILD_STAMP)
	$(VENV)/bin/kgen train vae --data digits --epochs $(DEMO_EPOCHS) --out runs/demo/vae --seed 0 --overwrite
	$(VENV)/bin/kgen train rbm --data digits --epochs $(DEMO_EPOCHS) --out runs/demo/rbm --seed 0 --overwrite
	$(VENV)/bin/kgen train dcgan --data digits --epochs $(DEMO_EPOCHS) --out runs/demo/dcgan --seed 0 --overwrite
	$(VENV)/bin/kgen train draw --data digits --epochs $(DEMO_EPOCHS) --batch-size 32 --out runs/demo/draw --seed 0 --overwrite
	$(VENV)/bin/kgen train flow --data digits --epochs $(DEMO_EPOCHS) --out runs/demo/flow --seed 0 --overwrite
	@echo
	@echo "Demo written under $(CURDIR)/runs/demo/:"
	@echo "  runs/demo/vae/model.keras      the trained VAE (keras.saving.load_model)"
	@echo "  runs/demo/vae/metrics.json     held-out ELBO and log-likelihood, nats per example"
	@echo "  runs/demo/vae/pictures/        samples, reconstructions, latent manifold per epoch; curves.png"
	@echo "  runs/demo/vae/saved_model/     SavedModel for TF Serving: encode, decode, sample, reconstruct"
	@echo "  runs/demo/vae/logs/            TensorBoard events (pip install tensorboard; tensorboard --logdir runs/demo)"
	@echo "  runs/demo/rbm/                 the same for an RBM trained by PCD on the compiled Gibbs op"
	@echo "                                 (saved_model/: sample, free_energy, hidden_probs in stock TF ops)"
	@echo "  runs/demo/dcgan/               a DCGAN: the same fixed-noise sample grid each epoch, loss curves,"
	@echo "                                 saved_model/ with the signature generate (z in, samples out)"
	@echo "  runs/demo/draw/                DRAW with attention: pictures/generation_steps.png and generation.gif"
	@echo "                                 (the canvas step by step, write windows in green), reconstructions"
	@echo "                                 with read windows in red; saved_model/ with generate (noise in)"
	@echo "  runs/demo/flow/                RealNVP: samples, bits/dim in metrics.json; saved_model/ with"
	@echo "                                 sample and log_prob"

test: $(BUILD_STAMP)
	$(PY) -m pytest -q $(PYTEST_ARGS)

info: $(BUILD_STAMP)
	$(VENV)/bin/kgen info

clean:
	rm -rf build runs $(BUILD_STAMP)

# On the GPU machine (CUDA, CMake, pybind11, NumPy; no TensorFlow): build the
# pybind11 module with the CUDA kernels straight with CMake, put it beside the
# kgen_ops sources, run the tests that need no TensorFlow (the CUDA cases run
# there) and the GPU benchmark. Results land in $(GPU_OUT).
GPU_OUT ?= benchmarks/results
gpu-check:
	PATH="$$PATH:/usr/local/cuda/bin" cmake -S . -B build/gpu -DKGEN_TENSORFLOW=OFF -DKGEN_CUDA=ON \
	  -DCMAKE_BUILD_TYPE=Release -DPython_EXECUTABLE=$$(command -v python3)
	cmake --build build/gpu -j
	cp build/gpu/native*.so kgen_ops/
	nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
	python3 -m pytest -q -p no:cacheprovider tests/test_native_philox.py tests/test_native_gibbs.py tests/test_native_cd_statistics.py
	python3 benchmarks/gibbs_gpu.py --out $(GPU_OUT)/gibbs_gpu.json
