"""The text of the exported training scripts, piece by piece (script_export.py puts them together).

Each piece is code exactly as a script contains it; the numpy pieces compute what
backends/numpy_backend.py computes, operation for operation, so the losses agree to the last digits.
"""

OPTIMIZER_NAMES = {"gd": "gradient descent", "momentum": "SGD with momentum", "adam": "Adam"}


SHEBANG = "#!/usr/bin/env python3\n"

# The module docstring's text (script_export.docstring_literal writes it as a literal: the name
# and description come from the experiment file and may hold any character).
DOCSTRING = """\
$title

$description

Exported from nnstudio $version; it needs only $needs. Run it with

    python $filename                # the log the app shows: Epoch: 10 Loss: ...
    python $filename --epochs 500   # train for longer
    python $filename --precise      # print each loss with all its digits

Starting from the same initial weights, it prints the same losses as nnstudio.
"""


IMPORTS = {
    "numpy": "import argparse\nimport math\n\nimport numpy as np\n",
    "torch": "import argparse\nimport math\n\nimport numpy as np\nimport torch\nfrom torch import nn\n",
}


KAIMING = """\
        bound = 1.0 / np.sqrt(n_in)  # PyTorch's nn.Linear default: W, b ~ U(−1/√fan_in, 1/√fan_in)
        parameters[f"W{index}"] = rng.uniform(-bound, bound, (n_in, n_out))
        if bias:
            parameters[f"b{index}"] = rng.uniform(-bound, bound, n_out)
"""


XAVIER = """\
        bound = np.sqrt(6.0 / (n_in + n_out))  # Glorot: W ~ U(−√(6/(fan_in+fan_out)), +√(6/(fan_in+fan_out))), b = 0
        parameters[f"W{index}"] = rng.uniform(-bound, bound, (n_in, n_out))
        if bias:
            parameters[f"b{index}"] = np.zeros(n_out)
"""


CONSTANT = """\
        parameters[f"W{index}"] = np.full((n_in, n_out), CONSTANT)  # every weight and bias the same
        if bias:
            parameters[f"b{index}"] = np.full(n_out, CONSTANT)
"""


# The activations and their derivatives, exactly as backends/numpy_backend.py computes them.
ACTIVATIONS = {
    "identity": ("return z", "# g'(z) = 1\n    return np.ones_like(z)"),
    "relu": ("return np.maximum(z, 0.0)", "# g'(z) = 1 if z > 0 else 0\n    return a > 0"),
    "leaky_relu": (
        "return np.where(z > 0, z, 0.01 * z)",
        "# g'(z) = 1 if z > 0 else 0.01\n    return np.where(z > 0, 1.0, 0.01).astype(z.dtype)",
    ),
    "tanh": ("return np.tanh(z)", "# g'(z) = 1 − tanh²(z) = 1 − a²\n    return 1.0 - a * a"),
    "sigmoid": ("return 1.0 / (1.0 + np.exp(-z))", "# g'(z) = σ(z)(1 − σ(z)) = a(1 − a)\n    return (1.0 - a) * a"),
    "softplus": (
        "# ln(1 + e^z), but z itself where e^z would overflow (as torch.nn.Softplus does)\n"
        "    return np.where(z > 20.0, z, np.log1p(np.exp(np.minimum(z, 20.0))))",
        "# g'(z) = e^z / (1 + e^z) = σ(z)\n    e = np.exp(np.minimum(z, 20.0))\n"
        "    return np.where(z > 20.0, 1.0, e / (e + 1.0)).astype(z.dtype)",
    ),
}


TORCH_MODULES = {
    "identity": "nn.Identity()",
    "relu": "nn.ReLU()",
    "leaky_relu": "nn.LeakyReLU(0.01)",
    "tanh": "nn.Tanh()",
    "sigmoid": "nn.Sigmoid()",
    "softplus": "nn.Softplus(beta=1.0, threshold=20.0)",
}


NUMPY_PASSES = '''\
# --- the forward and backward pass ----------------------------------------------------------------


def forward(parameters, x):
    """Run x through every layer; keep each layer's input, z and a for the backward pass."""
    traces = []
    a = x
    for index, (_, _, activation, bias) in enumerate(LAYERS, start=1):
        z = np.dot(a, parameters[f"W{index}"])  # z = x W
        if bias:
            z += parameters[f"b{index}"]  # z = x W + b   (b is added to every row)
        traces.append((a, z, ACTIVATIONS[activation][0](z)))
        a = traces[-1][2]
    return traces


def backward(parameters, traces, dL_dyhat):
    """Backpropagation: from dL/dŷ to dL/dW and dL/db of every layer, last layer first."""
    gradients = {}
    dL_da = dL_dyhat  # the output of the last layer is ŷ
    for index in range(len(LAYERS), 0, -1):
        _, _, activation, bias = LAYERS[index - 1]
        inputs, z, a = traces[index - 1]
        if activation == "identity":
            dL_dz = dL_da  # g'(z) = 1, so nothing to multiply
        else:
            dL_dz = dL_da * ACTIVATIONS[activation][1](z, a)  # dL/dz = dL/da ⊙ g'(z)
        gradients[f"W{index}"] = np.dot(inputs.T, dL_dz)  # dL/dW = xᵀ · dL/dz
        if bias:
            gradients[f"b{index}"] = dL_dz.sum(axis=0)  # dL/db = Σ_points dL/dz
        if index > 1:
            dL_da = np.dot(dL_dz, parameters[f"W{index}"].T)  # dL/dx = dL/dz · Wᵀ
    return gradients
'''


SSE = """\
def loss_value(prediction, y):
    return float(np.sum((y - prediction) ** 2))  # L = Σ (y − ŷ)²


def loss_gradient(prediction, y):
    return -2.0 * (y - prediction)  # dL/dŷ = −2 (y − ŷ)


AVERAGED = False  # a sum: a mini-batch's loss counts in full in the epoch's loss
"""


MSE = """\
def loss_value(prediction, y):
    return float(np.sum((y - prediction) ** 2)) / prediction.size  # L = (1/N) Σ (y − ŷ)²


def loss_gradient(prediction, y):
    return -2.0 * (y - prediction) / prediction.size  # dL/dŷ = −2 (y − ŷ) / N


AVERAGED = True  # a mean: a mini-batch's loss counts by its share of the points in the epoch's loss
"""


GD = '''\
class Optimizer:
    """Gradient descent: θ ← θ − lr · g"""

    def update(self, parameters, gradients):
        for name, theta in parameters.items():
            theta -= LEARNING_RATE * gradients[name]
'''


MOMENTUM = '''\
class Optimizer:
    """Momentum (torch.optim.SGD): v ← μ·v + g (v = g at the first step), θ ← θ − lr · v"""

    def __init__(self):
        self.velocity = {}

    def update(self, parameters, gradients):
        for name, theta in parameters.items():
            g = gradients[name]
            if name in self.velocity:
                self.velocity[name] = MOMENTUM * self.velocity[name] + g
            else:
                self.velocity[name] = g.copy()
            theta -= LEARNING_RATE * self.velocity[name]
'''


ADAM = '''\
class Optimizer:
    """Adam (torch.optim.Adam): running averages of g and g², corrected for their start at zero.

    m ← β₁·m + (1 − β₁)·g      v ← β₂·v + (1 − β₂)·g²      θ ← θ − lr · m̂ / (√v̂ + ε)
    """

    def __init__(self):
        self.t = 0
        self.m, self.v = {}, {}

    def update(self, parameters, gradients):
        self.t += 1
        step_size = LEARNING_RATE / (1.0 - BETA1**self.t)  # lr / (1 − β₁ᵗ) turns m into m̂
        v_correction = (1.0 - BETA2**self.t) ** 0.5  # √(1 − β₂ᵗ) turns √v into √v̂
        for name, theta in parameters.items():
            g = gradients[name]
            m = self.m.setdefault(name, np.zeros_like(g))
            v = self.v.setdefault(name, np.zeros_like(g))
            m += (1.0 - BETA1) * (g - m)  # = β₁·m + (1 − β₁)·g, in torch's rounding
            v *= BETA2
            v += (1.0 - BETA2) * g * g
            theta -= step_size * m / (np.sqrt(v) / v_correction + EPS)
'''


NUMPY_LOOP = """\
# --- training ---------------------------------------------------------------------------------------


def predict(parameters, x):
    return forward(parameters, x)[-1][2]


def number(value, precise):
    # 7 significant digits, as the app's log (and R) prints them; every digit with --precise
    return repr(value) if precise else f"{value:.7g}"


def train(epochs, precise):
    parameters = {name: value.astype(DTYPE) for name, value in initial_parameters(SEED).items()}
    optimizer = Optimizer()
    x_all, y_all = np.ascontiguousarray(x_train, dtype=DTYPE), np.ascontiguousarray(y_train, dtype=DTYPE)
    n = len(x_all)
    full_batch = BATCH_SIZE is None or BATCH_SIZE >= n
    batches = 1 if full_batch else math.ceil(n / BATCH_SIZE)
    for epoch in range(epochs):
        epoch_loss = 0.0
        if not full_batch:  # a fresh shuffle per epoch, reproducible from (seed, epoch)
            order = np.random.default_rng([SEED, epoch]).permutation(n)
        for batch in range(batches):
            if full_batch:
                x, y, weight = x_all, y_all, 1.0
            else:
                rows = order[batch * BATCH_SIZE : (batch + 1) * BATCH_SIZE]
                x, y = x_all[rows], y_all[rows]
                weight = len(rows) / n if AVERAGED else 1.0
            with np.errstate(over="ignore", invalid="ignore"):
                traces = forward(parameters, x)
                prediction = traces[-1][2]
                loss = loss_value(prediction, y)
                optimizer.update(parameters, backward(parameters, traces, loss_gradient(prediction, y)))
            epoch_loss += loss * weight if not full_batch else loss
            if not math.isfinite(loss):
                print(f"Diverged at epoch {epoch + 1}: the loss became {loss}. Try a smaller learning rate.")
                return parameters
        if (epoch + 1) % LOG_EVERY == 0:
            print(f"Epoch: {epoch + 1} Loss: {number(epoch_loss, precise)}")
    if len(x_test):
        test = np.ascontiguousarray(x_test, dtype=DTYPE)
        with np.errstate(over="ignore", invalid="ignore"):
            test_loss = loss_value(predict(parameters, test), y_test.astype(DTYPE))
        print(f"Test loss: {number(test_loss, precise)}")
    return parameters


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS, help=f"how many epochs to train (default {EPOCHS})")
    parser.add_argument("--precise", action="store_true", help="print each loss with all its digits")
    options = parser.parse_args()
    train(options.epochs, options.precise)
"""


TORCH_LOOP = """\
# --- training ---------------------------------------------------------------------------------------


def number(value, precise):
    # 7 significant digits, as the app's log (and R) prints them; every digit with --precise
    return repr(value) if precise else f"{value:.7g}"


def train(epochs, precise):
    model = build_model()
    optimizer = make_optimizer(model)
    x_all, y_all = torch.as_tensor(x_train, dtype=DTYPE), torch.as_tensor(y_train, dtype=DTYPE)
    n = len(x_all)
    full_batch = BATCH_SIZE is None or BATCH_SIZE >= n
    batches = 1 if full_batch else math.ceil(n / BATCH_SIZE)
    for epoch in range(epochs):
        epoch_loss = 0.0
        if not full_batch:  # a fresh shuffle per epoch, reproducible from (seed, epoch)
            order = np.random.default_rng([SEED, epoch]).permutation(n)
        for batch in range(batches):
            if full_batch:
                x, y, weight = x_all, y_all, 1.0
            else:
                rows = order[batch * BATCH_SIZE : (batch + 1) * BATCH_SIZE]
                index = torch.from_numpy(rows)
                x, y = x_all[index], y_all[index]
                weight = len(rows) / n if AVERAGED else 1.0
            loss = loss_function(model(x), y)
            optimizer.zero_grad()
            loss.backward()  # autograd computes dL/dθ for every parameter
            optimizer.step()
            loss = loss.item()
            epoch_loss += loss * weight if not full_batch else loss
            if not math.isfinite(loss):
                print(f"Diverged at epoch {epoch + 1}: the loss became {loss}. Try a smaller learning rate.")
                return model
        if (epoch + 1) % LOG_EVERY == 0:
            print(f"Epoch: {epoch + 1} Loss: {number(epoch_loss, precise)}")
    if len(x_test):
        with torch.no_grad():
            test_loss = loss_function(model(torch.as_tensor(x_test, dtype=DTYPE)), torch.as_tensor(y_test, dtype=DTYPE))
        test_loss = test_loss.item()
        print(f"Test loss: {number(test_loss, precise)}")
    return model


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS, help=f"how many epochs to train (default {EPOCHS})")
    parser.add_argument("--precise", action="store_true", help="print each loss with all its digits")
    options = parser.parse_args()
    trained = train(options.epochs, options.precise)
    # torch.save(trained.state_dict(), "model.pt")  # to keep the trained weights
"""


BCE = """\
LOG_FLOOR = -100.0  # torch's BCELoss clamps each logarithm at −100: ŷ = 0 or 1 gives a large, finite loss
BCE_EPSILON = float(np.float32(1e-12))  # torch keeps ŷ(1 − ŷ) ≥ this in BCELoss's gradient (a float32 1e-12)


def loss_value(prediction, y):
    # L = −(1/N) Σ [y·ln ŷ + (1 − y)·ln(1 − ŷ)]     ŷ = P(class 1); each ln clamped at −100, as torch's BCELoss
    with np.errstate(divide="ignore", invalid="ignore"):  # ln 0 = −∞ is clamped; a NaN ŷ gives a NaN loss
        log_p = np.maximum(np.log(prediction), LOG_FLOOR)
        log_not_p = np.maximum(np.log1p(-prediction), LOG_FLOOR)  # ln(1 − ŷ), exact for tiny ŷ
    return float(np.mean((y - 1.0) * log_not_p - y * log_p))


def loss_gradient(prediction, y):
    # dL/dŷ = (ŷ − y) / (ŷ(1 − ŷ)) / N        (the denominator kept ≥ 1e-12, as torch does)
    # The sigmoid output's g'(z) = ŷ(1 − ŷ) then cancels the denominator in backward(): dL/dz = (ŷ − y) / N.
    return (prediction - y) / np.maximum((1.0 - prediction) * prediction, BCE_EPSILON) / prediction.size


AVERAGED = True  # a mean: a mini-batch's loss counts by its share of the points in the epoch's loss
"""


CROSS_ENTROPY = '''\
def log_softmax(z):
    """ln softmax(z) row by row: z_k − max(z) − ln Σⱼ e^(z_j − max(z)) (the max keeps e^z from overflowing)."""
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(z):
    """softmax(z)_k = e^(z_k) / Σⱼ e^(z_j), row by row: K logits → K probabilities that sum to 1."""
    return np.exp(log_softmax(z))


def one_hot(labels, classes):
    """Class numbers (n, 1) → rows with a 1 in the label's column: 2 → [0, 0, 1]."""
    labels = labels.reshape(-1).astype(np.intp)
    encoded = np.zeros((len(labels), classes))
    encoded[np.arange(len(labels)), labels] = 1.0
    return encoded


def loss_value(prediction, y):
    # L = −(1/N) Σᵢ ln softmax(zᵢ)[yᵢ]     ŷ = z are the logits; yᵢ is point i's class number
    labels = y.reshape(-1).astype(np.intp)
    return float(-np.mean(log_softmax(prediction)[np.arange(len(labels)), labels]))


def loss_gradient(prediction, y):
    # dL/dz = (softmax(z) − onehot(y)) / N     the predicted probabilities minus the true ones, per point
    n, classes = prediction.shape
    return (softmax(prediction) - one_hot(y, classes).astype(prediction.dtype)) / n


AVERAGED = True  # a mean: a mini-batch's loss counts by its share of the points in the epoch's loss
'''


TORCH_LOSSES = {
    "sse": """\
def loss_function(prediction, y):
    return ((y - prediction) ** 2).sum()  # L = Σ (y − ŷ)²


AVERAGED = False  # a sum: a mini-batch's loss counts in full in the epoch's loss
""",
    "mse": """\
loss_function = nn.functional.mse_loss  # L = (1/N) Σ (y − ŷ)²
AVERAGED = True  # a mean: a mini-batch's loss counts by its share of the points in the epoch's loss
""",
    "bce": '''\
def loss_function(prediction, y):
    """nn.BCELoss on the sigmoid output ŷ = P(class 1): L = −(1/N) Σ [y·ln ŷ + (1 − y)·ln(1 − ŷ)]"""
    if torch.isnan(prediction).any():  # BCELoss refuses values outside [0, 1]: a diverged run gives a NaN loss
        return prediction.sum() * float("nan")
    return nn.functional.binary_cross_entropy(prediction, y)


AVERAGED = True  # a mean: a mini-batch's loss counts by its share of the points in the epoch's loss
''',
    "cross_entropy": '''\
def loss_function(logits, y):
    """nn.CrossEntropyLoss on the logits z: L = −(1/N) Σᵢ ln softmax(zᵢ)[yᵢ]; y holds class numbers as floats."""
    return nn.functional.cross_entropy(logits, y[:, 0].long())


AVERAGED = True  # a mean: a mini-batch's loss counts by its share of the points in the epoch's loss
''',
}
