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
# Three test processes (pytest-xdist) on two cores: many tests wait on
# subprocesses (fresh TensorFlow processes for serving checks, CLI runs,
# distributed workers), so a third keeps the cores busy (session 6, clean
# clone: 8m20s of tests with -n 3, 9m20s with -n 2).
PYTEST_ARGS ?= -n 3
DEMO_EPOCHS ?= 30

.PHONY: all setup build demo test info clean gpu-check wheel-check

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
	@echo "  runs/demo/vae/logs/            TensorBoard events ($(VENV)/bin/tensorboard --logdir runs/demo)"
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

# What `pip install .` gives a user, checked: the tracked sources copied to
# $(WHEEL_CHECK)/src (as a clone would have them), a wheel built there with
# plain `pip wheel` (pip's build isolation: TensorFlow comes from the build
# requirements), installed with its dependencies into a fresh virtual
# environment, then tests/wheel_smoke.py run from outside the source tree: the
# op library is in the wheel, `kgen_ops.gibbs_sweeps` runs, an RBM and a VAE
# fit one step. Slow (it installs TensorFlow twice, into the build environment
# and into the fresh one, and compiles the core), so it is not part of
# `make test`; .ci/run runs it. Once passed, only the wheel is kept (under
# dist/); on failure everything stays for a look.
WHEEL_CHECK ?= build/wheel-check
wheel-check:
	rm -rf $(WHEEL_CHECK)
	mkdir -p $(WHEEL_CHECK)/src $(WHEEL_CHECK)/run
	git ls-files -z --cached --others --exclude-standard \
	  | tar -cf - --null --files-from=- --ignore-failed-read | tar -xf - -C $(WHEEL_CHECK)/src
	$(PYTHON) -m venv $(WHEEL_CHECK)/venv
	$(WHEEL_CHECK)/venv/bin/python -m pip install -q --upgrade pip
	cd $(WHEEL_CHECK)/src && ../venv/bin/python -m pip wheel --no-deps --wheel-dir ../dist .
	$(WHEEL_CHECK)/venv/bin/python -m pip install -q $(WHEEL_CHECK)/dist/kgen-*.whl
	cd $(WHEEL_CHECK)/run && TF_CPP_MIN_LOG_LEVEL=1 ../venv/bin/python ../src/tests/wheel_smoke.py
	rm -rf $(WHEEL_CHECK)/venv $(WHEEL_CHECK)/src

info: $(BUILD_STAMP)
	$(VENV)/bin/kgen info

clean:
	rm -rf build runs $(BUILD_STAMP)

# On the GPU machine (CUDA, CMake, pybind11, NumPy, pytest; no TensorFlow, PyTorch
# optional): build the pybind11 module with the CUDA kernels straight with CMake,
# then run the tests that need no TensorFlow (their CUDA cases run there) and the
# GPU benchmark against that fresh module (KGEN_NATIVE_PATH names it; nothing is
# copied into the source tree). Results land in $(GPU_OUT)/gibbs_gpu.json.
#
# Rehearsal anywhere (`make test` runs it, tests/test_gpu_check_rehearsal.py):
#   make gpu-check KGEN_GPU_CHECK_DEVICE=cuda-emulated
# builds kgen_ops._native_emulated instead (the same .cu files as host C++, run
# by the emulator of cc/emulation/), so every step but the hardware runs: the
# configure and build, the CUDA tests, the benchmark (toy sizes) and its JSON
# (under $(GPU_BUILD)/results, never over the real results).
KGEN_GPU_CHECK_DEVICE ?= cuda
GPU_PYTHON ?= python3
GPU_JOBS ?= $(shell nproc)
GPU_TESTS ?= tests/test_native_philox.py tests/test_native_gibbs.py tests/test_native_cd_statistics.py
GPU_TEST_ARGS ?=
ifeq ($(KGEN_GPU_CHECK_DEVICE),cuda-emulated)
GPU_BUILD ?= build/gpu-emulated
GPU_CMAKE_ARGS := -DKGEN_CUDA=OFF -DKGEN_CUDA_EMULATION=ON
GPU_MODULE := _native_emulated
GPU_OUT ?= $(GPU_BUILD)/results
GPU_BENCH_ARGS ?= --tiny --repeats 1
else ifeq ($(KGEN_GPU_CHECK_DEVICE),cuda)
GPU_BUILD ?= build/gpu
GPU_CMAKE_ARGS := -DKGEN_CUDA=ON -DKGEN_CUDA_EMULATION=OFF
GPU_MODULE := native
GPU_OUT ?= benchmarks/results
GPU_BENCH_ARGS ?=
else
$(error KGEN_GPU_CHECK_DEVICE must be cuda or cuda-emulated, got '$(KGEN_GPU_CHECK_DEVICE)')
endif
gpu-check:
	PATH="$$PATH:/usr/local/cuda/bin" cmake -S . -B $(GPU_BUILD) -DKGEN_TF_OPS=OFF $(GPU_CMAKE_ARGS) \
	  -DCMAKE_BUILD_TYPE=Release -DPython_EXECUTABLE=$$(command -v $(GPU_PYTHON))
	cmake --build $(GPU_BUILD) -j $(GPU_JOBS) --target $(GPU_MODULE)
	@if [ "$(KGEN_GPU_CHECK_DEVICE)" = cuda ]; then \
	  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; \
	else echo "device: the host emulation of CUDA (no GPU; timings mean nothing)"; fi
	KGEN_NATIVE_PATH=$$(ls $(abspath $(GPU_BUILD))/$(GPU_MODULE)*.so) \
	  $(GPU_PYTHON) -m pytest -q -p no:cacheprovider -p no:xdist $(GPU_TEST_ARGS) $(GPU_TESTS)
	KGEN_NATIVE_PATH=$$(ls $(abspath $(GPU_BUILD))/$(GPU_MODULE)*.so) \
	  $(GPU_PYTHON) benchmarks/gibbs_gpu.py $(GPU_BENCH_ARGS) --output $(GPU_OUT)/gibbs_gpu.json
