"""ember.cuda, accelerator, backends, compile, random and devices answer as a CPU-only PyTorch."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

QUERIES = [
    "cuda.is_available()",
    "cuda.device_count()",
    "cuda.is_initialized()",
    "cuda.is_bf16_supported()",
    "cuda.memory_allocated()",
    "cuda.max_memory_allocated()",
    "cuda.manual_seed(0)",
    "cuda.manual_seed_all(0)",
    "cuda.empty_cache()",
    "accelerator.is_available()",
    "accelerator.current_accelerator()",
    "accelerator.device_count()",
    "backends.mps.is_available()",
    "backends.mps.is_built()",
    "backends.cudnn.is_available()",
    "backends.cudnn.enabled",
    "backends.cudnn.benchmark",
    "backends.cudnn.deterministic",
    "backends.cudnn.allow_tf32",
    "backends.cuda.matmul.allow_tf32",
    "backends.cuda.is_built()",
]


@pytest.mark.parametrize("query", QUERIES)
def test_queries_answer_as_torch(query):
    assert eval("ember." + query) == eval("torch." + query)


@pytest.mark.parametrize(
    "call",
    ["cuda.synchronize()", "cuda.current_device()", "cuda.get_device_name()", "ones(2).cuda()"],
)
def test_calls_that_need_cuda_raise_as_torch(call):
    for lib in (ember, torch):
        with pytest.raises(AssertionError, match="not compiled with CUDA"):
            eval(f"lib.{call}", {"lib": lib})


def test_accelerator_calls_raise_as_torch():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="Cannot access accelerator device"):
            lib.accelerator.current_device_index()
        with pytest.raises(RuntimeError, match="Cannot access accelerator device"):
            lib.ones(2).pin_memory()
        assert not lib.ones(2).is_pinned()


def test_backend_flags_are_settable_and_modules_importable():
    import ember.backends.cudnn as cudnn

    before = cudnn.benchmark, ember.backends.cuda.matmul.allow_tf32
    try:
        cudnn.benchmark = True
        ember.backends.cuda.matmul.allow_tf32 = True
        assert ember.backends.cudnn.benchmark and ember.backends.cuda.matmul.allow_tf32
    finally:
        cudnn.benchmark, ember.backends.cuda.matmul.allow_tf32 = before


def test_device_objects_follow_torch():
    for spec in ["cpu", "cuda", "cuda:1", "mps", "meta"]:
        ours, theirs = ember.device(spec), torch.device(spec)
        assert (repr(ours), str(ours), ours.type, ours.index) == (
            repr(theirs),
            str(theirs),
            theirs.type,
            theirs.index,
        )
    assert ember.device("cuda", 0) == ember.device("cuda:0") != ember.device("cuda")
    assert (ember.device("cpu") == "cpu") == (torch.device("cpu") == "cpu")
    assert len({ember.device("cpu"), ember.device("cpu")}) == 1
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        ember.device("gpu")
    assert ember.ones(2).device == ember.device("cpu") and ember.ones(2).is_cpu
    for creation in ("zeros(2, device={d})", "ones_like(ember.ones(2), device={d})"):
        assert eval("ember." + creation.format(d="ember.device('cpu')")).device.type == "cpu"
        with pytest.raises(AssertionError, match="CUDA"):
            eval("ember." + creation.format(d="'cuda'"))
    with pytest.raises(RuntimeError, match="mps"):
        ember.zeros(2, device="mps")
    ember.set_default_device("cpu")
    with pytest.raises(AssertionError, match="CUDA"):
        ember.set_default_device("cuda")


def test_to_accepts_torch_forms():
    x = ember.ones(2, 3)
    assert x.to("cpu") is x and x.to(ember.device("cpu"), ember.float64).dtype == ember.float64
    assert x.to(dtype=ember.half, non_blocking=True).dtype == ember.float16
    assert x.to(ember.zeros(1, dtype=ember.int32)).dtype == ember.int32
    copy = x.to("cpu", copy=True)
    assert copy is not x and not np.shares_memory(copy.numpy(), x.numpy())
    assert x.to(memory_format=ember.contiguous_format) is x
    with pytest.raises(TypeError, match="unexpected keyword"):
        x.to(devise="cpu")
    net = ember.nn.Linear(2, 2)
    assert net.to("cpu", ember.float64).weight.dtype == ember.float64
    assert net.bfloat16().weight.dtype == ember.bfloat16 and net.half().bias.dtype == ember.half
    assert net.float().weight.dtype == ember.float32 and net.cpu() is net
    with pytest.raises(AssertionError, match="CUDA"):
        net.cuda()


def test_compile_wraps_a_module_and_keeps_its_results():
    net = ember.nn.Linear(2, 2)
    compiled = ember.compile(net, fullgraph=True, dynamic=False, mode="max-autotune")
    assert type(compiled).__name__ == "OptimizedModule" and compiled._orig_mod is net
    x = ember.ones(3, 2)
    assert all(np.array_equal(compiled(x)._data, net(x)._data) for _ in range(2))

    @ember.compile(backend="eager")
    def double(x):
        return 2 * x

    assert double(ember.ones(1))._data[0] == 2.0
    with pytest.raises(RuntimeError, match="mode or options"):
        ember.compile(net, mode="default", options={})


def test_rng_state_round_trips():
    ember.manual_seed(123)
    assert ember.initial_seed() == 123 == ember.random.initial_seed()
    state = ember.get_rng_state()
    assert state.dtype == ember.uint8
    first = ember.rand(3)
    ember.set_rng_state(state)
    np.testing.assert_array_equal(ember.rand(3).numpy(), first.numpy())
    with ember.random.fork_rng():
        ember.rand(5)
    after = ember.rand(3)
    ember.set_rng_state(state)
    ember.rand(3)
    np.testing.assert_array_equal(ember.rand(3).numpy(), after.numpy())
    s = ember.seed()
    assert ember.initial_seed() == s
