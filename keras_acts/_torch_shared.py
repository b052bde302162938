"""PyTorch: a formula and its derivative evaluated together, sharing work.

With only x saved for backward, eager PyTorch evaluates an activation's
transcendental functions twice: once in the forward, and again in the
backward for the derivative (plain autograd keeps them in memory instead).
When autograd will need the input gradient, keras_acts' torch op evaluates
the forward formula and the analytic derivative one after the other inside
`_kernels._torch_sharing()`: every torch call of that evaluation is
remembered by what it computes (the function and its arguments, arguments
known by the call that produced them), and a call the derivative repeats
returns the tensor the forward already computed (`exp(x)`, then
`0.6 * exp(x)`, then its `tanh`, ...). The op then saves f'(x), and its
backward is a single product g * f'(x). The definitions are unchanged: one
forward and one derivative per activation, with `keras.ops`. This module
imports nothing of keras_acts (`_kernels` imports it).

A remembered tensor is held by the memo for the whole evaluation, so the
in-place reuse of temporaries (`_kernels._reusing_temporaries`, which only
writes into tensors nothing else refers to) never writes into one; a tensor
changed in place anyway (its version counter moved) is not returned. To
keep that reuse for the rest, the first evaluation of an op remembers every
call and notes which ones were repeated; later evaluations remember only
those (`Plan`).

The op saves x too (so memory is about twice ReLU's, still no more than
the plain autograd formula keeps): a backward run with grad mode on (a
gradient taken with ``create_graph=True``, for a gradient penalty) ignores
the saved f'(x) and differentiates the forward definition from x by torch
autograd, recorded, which autograd can differentiate again.
"""

import functools

# False: every op saves x and recomputes in the backward, as before the
# joint evaluation (tests compare the two; not a public setting).
ENABLED = True

# The most tensors of x's size a joint evaluation may hold in its memo. PAU's
# and HP's scaled rational terms repeat 62-75 (a gigabyte at 2^22 float32
# values), and their joint evaluation measured no faster than evaluating
# twice (PAU 3.4-8.5x the plain formula against 5.5-6.6x, load-dependent);
# the EIS layer repeats 34 and measured 1.5x against 3.3x, TanhSoft 7.
MAX_HELD = 40


class Plan:
    """Which calls of one op's joint evaluation are worth remembering.

    None until the first evaluation (which remembers every call); then the
    keys of the calls that evaluation repeated.
    """

    def __init__(self):
        self.keys = None
        self.held = 0  # How many of them are the size of x.

    @property
    def shares(self):
        """False once an evaluation found nothing to share (sine: sin, then
        cos), or so much that the memo held more than `MAX_HELD` tensors of
        x's size: the op then saves x, as if nothing were shared."""
        return self.keys is None or (bool(self.keys) and self.held <= MAX_HELD)


# Results of these are never remembered: uninitialised memory, or calls that
# write into an argument.
_NEVER = ("empty", "empty_like", "new_empty", "empty_strided", "copy_", "set_")


def _sharing_mode_class(base_mode):
    import torch

    tensor_type = torch.Tensor

    def arg_key(a, keys):
        if type(a) is tensor_type or isinstance(a, tensor_type):
            return keys.get(id(a))
        if a is None or isinstance(a, (bool, int, float, str)):
            return (type(a), a)
        if isinstance(a, (torch.dtype, torch.device, torch.memory_format)):
            return a
        if isinstance(a, (tuple, list, torch.Size)):
            parts = tuple(arg_key(b, keys) for b in a)
            return None if None in parts else (type(a), parts)
        return None

    class Sharing(base_mode):
        """Elision of temporaries (when `elide`), plus the memo."""

        def __init__(self, counts, protected, elide, inputs, plan):
            super().__init__(counts or {}, protected)
            self.elide = elide
            # id -> key: the inputs, and every remembered result (held by
            # `memo`, so its id is never reused during the evaluation).
            self.keys = {id(t): ("input", i) for i, t in enumerate(inputs)}
            self.memo = {}  # key -> (tensor, its version when remembered)
            self.plan = plan
            self.learning = plan.keys is None
            self.repeated = set()
            self.size = inputs[0].numel()

        def key(self, func, args, kwargs):
            name = getattr(func, "__name__", "")
            if name in _NEVER or (name.endswith("_") and not name.endswith("__")):
                return None
            if name == "__get__":  # Properties: shape, dtype, ...
                return None
            keys = self.keys
            parts = []
            for a in args:
                k = arg_key(a, keys)
                if k is None:
                    return None
                parts.append(k)
            if kwargs:
                if "out" in kwargs:
                    return None
                for name_, a in sorted(kwargs.items()):
                    k = arg_key(a, keys)
                    if k is None:
                        return None
                    parts.append((name_, k))
            return (func, tuple(parts))

        def __torch_function__(self, func, types, args=(), kwargs=None):
            key = self.key(func, args, kwargs)
            if key is not None:
                found = self.memo.get(key)
                if found is not None and found[0]._version == found[1]:
                    if self.learning:
                        self.repeated.add(key)
                    return found[0]
            if self.elide:
                out = super().__torch_function__(func, types, args, kwargs)
            else:
                out = func(*args, **(kwargs or {}))
            if (
                key is not None
                and type(out) is tensor_type
                # Not a result that is an argument (`x.to(x.dtype)`): nothing
                # computed, and it keeps the key it came with.
                and id(out) not in self.keys
                and (self.learning or key in self.plan.keys)
            ):
                self.memo[key] = (out, out._version)
                self.keys[id(out)] = key
            return out

        def __exit__(self, *exc):
            if self.learning and exc[0] is None:
                self.plan.keys = frozenset(self.repeated)
                size = self.size
                self.plan.held = sum(
                    1 for k in self.repeated if self.memo[k][0].numel() >= size
                )
            self.memo.clear()
            self.keys.clear()
            return super().__exit__(*exc)

    return Sharing


@functools.cache
def sharing_mode(base_mode):
    """The memo's TorchFunctionMode class, built on `base_mode` (the elision
    mode of `_kernels`, which passes it: this module imports nothing of
    keras_acts). Entered by `_kernels._torch_sharing`."""
    return _sharing_mode_class(base_mode)
