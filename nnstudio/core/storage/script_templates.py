"""The text of the exported training scripts, piece by piece (script_export.py puts them together).

Each piece is code exactly as a script contains it. The arithmetic of the numpy flavour is not
here: the script pastes it from the source of backends/numpy_backend.py and losses.py, and these
pieces only hold it together (the settings, the layers, an optimiser's memory per weight, the loop).
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
    "numpy": "import argparse\nimport math\nfrom dataclasses import dataclass\n\nimport numpy as np\n",
    "torch": (
        "import argparse\nimport math\nfrom dataclasses import dataclass\n\n"
        "import numpy as np\nimport torch\nfrom torch import nn\n"
    ),
}


# After the rule's own functions (pasted from nnstudio/core/engine/divergence.py): how a script stops.
STOP_DIVERGED = """\
def stop_diverged(epoch, problem):
    # as the app stops a run whose loss explodes: say why, and end with exit code 1
    print(f"Diverged at epoch {epoch + 1}: the loss {problem}. "
          f"The learning rate {LEARNING_RATE} is too large: try a smaller one.")
    raise SystemExit(1)
"""


DENSE_LAYER = '''\
@dataclass(frozen=True)
class DenseLayer:
    """One fully connected layer: z = x W + b, then a = g(z). W is (inputs, outputs)."""

    index: int  # 1, 2, ...: the layer's weights are called W1, b1, then W2, b2, ...
    n_in: int
    n_out: int
    activation: str
    bias: bool

    @property
    def weight_name(self):
        return f"W{self.index}"

    @property
    def bias_name(self):
        return f"b{self.index}"
'''


KAIMING = """\
        bound = 1.0 / np.sqrt(layer.n_in)  # PyTorch's nn.Linear default: W, b ~ U(−1/√fan_in, 1/√fan_in)
        parameters[layer.weight_name] = rng.uniform(-bound, bound, (layer.n_in, layer.n_out))
        if layer.bias:
            parameters[layer.bias_name] = rng.uniform(-bound, bound, layer.n_out)
"""


XAVIER = """\
        # Glorot: W ~ U(−√(6/(fan_in+fan_out)), +√(6/(fan_in+fan_out))), b = 0
        bound = np.sqrt(6.0 / (layer.n_in + layer.n_out))
        parameters[layer.weight_name] = rng.uniform(-bound, bound, (layer.n_in, layer.n_out))
        if layer.bias:
            parameters[layer.bias_name] = np.zeros(layer.n_out)
"""


CONSTANT = """\
        parameters[layer.weight_name] = np.full((layer.n_in, layer.n_out), CONSTANT)  # every weight and bias the same
        if layer.bias:
            parameters[layer.bias_name] = np.full(layer.n_out, CONSTANT)
"""


TORCH_MODULES = {
    "identity": "nn.Identity()",
    "relu": "nn.ReLU()",
    "leaky_relu": "nn.LeakyReLU(0.01)",
    "tanh": "nn.Tanh()",
    "sigmoid": "nn.Sigmoid()",
    "softplus": "nn.Softplus(beta=1.0, threshold=20.0)",
}


# How a mini-batch's loss counts in the epoch's loss, after the loss functions.
AVERAGED = "AVERAGED = True  # a mean: a mini-batch's loss counts by its share of the points in the epoch's loss\n"
SUMMED = "AVERAGED = False  # a sum: a mini-batch's loss counts in full in the epoch's loss\n"


# The optimiser's memory for every weight matrix and bias vector; the update itself is pasted above it.
OPTIMIZERS = {
    "gd": '''\
class Optimizer:
    """gd_update() on every weight matrix and bias vector."""

    def update(self, parameters, gradients):
        for name, theta in parameters.items():
            gd_update(theta, gradients[name], LEARNING_RATE)
''',
    "momentum": '''\
class Optimizer:
    """momentum_update() on every weight matrix and bias vector, keeping each one's velocity v."""

    def __init__(self):
        self.velocity = {}

    def update(self, parameters, gradients):
        for name, theta in parameters.items():
            velocity = self.velocity.get(name)  # None at the first step
            self.velocity[name], _ = momentum_update(theta, gradients[name], velocity, LEARNING_RATE, MOMENTUM)
''',
    "adam": '''\
class Optimizer:
    """adam_update() on every weight matrix and bias vector, keeping each one's m and v, and the step count t."""

    def __init__(self):
        self.t = 0
        self.m, self.v = {}, {}

    def update(self, parameters, gradients):
        self.t += 1
        for name, theta in parameters.items():
            g = gradients[name]
            m = self.m.setdefault(name, np.zeros_like(g))  # m and v start at zero
            v = self.v.setdefault(name, np.zeros_like(g))
            adam_update(theta, g, m, v, self.t, LEARNING_RATE, BETA1, BETA2, EPS)
''',
}


# Twin of TORCH_LOOP on purpose: each exported script is read alone, so both write out the same batching and log.
NUMPY_LOOP = """\
# --- training ---------------------------------------------------------------------------------------


def predict(parameters, x):
    return forward(LAYERS, parameters, x)[-1].outputs


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
                traces = forward(LAYERS, parameters, x)
                prediction = traces[-1].outputs
                loss = loss_value(prediction, y)
                gradients = backward(LAYERS, parameters, traces, loss_gradient(prediction, y))
                optimizer.update(parameters, parameter_gradients(LAYERS, gradients))
            epoch_loss += loss * weight if not full_batch else loss
            if not math.isfinite(loss):  # no later step can mend a loss that is not a number
                stop_diverged(epoch, divergence(loss, loss))
        first_loss = epoch_loss if epoch == 0 else first_loss
        if divergence(epoch_loss, first_loss):
            stop_diverged(epoch, divergence(epoch_loss, first_loss))
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


# Twin of NUMPY_LOOP on purpose: the same loop with autograd and torch.optim, for a side-by-side reading.
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
            if not math.isfinite(loss):  # no later step can mend a loss that is not a number
                stop_diverged(epoch, divergence(loss, loss))
        first_loss = epoch_loss if epoch == 0 else first_loss
        if divergence(epoch_loss, first_loss):
            stop_diverged(epoch, divergence(epoch_loss, first_loss))
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


# With regularisation, the loops above change in these lines (old → new): the gradient gains the
# weights' penalty, and each log line shows the penalty, measured as the epoch begins, beside the loss.
NUMPY_PENALTY_LINES = {
    "        epoch_loss = 0.0\n": (
        "        epoch_loss = 0.0\n"
        "        penalty = weight_penalty(LAYERS, parameters, REGULARIZATION, REGULARIZATION_RATE)\n"
    ),
    "                optimizer.update(parameters, parameter_gradients(LAYERS, gradients))\n": (
        "                gradients = parameter_gradients(LAYERS, gradients)\n"
        "                add_penalty_gradients(LAYERS, parameters, gradients, REGULARIZATION, REGULARIZATION_RATE)\n"
        "                optimizer.update(parameters, gradients)\n"
    ),
}
TORCH_PENALTY_LINES = {
    "        epoch_loss = 0.0\n": (
        "        epoch_loss = 0.0\n        with torch.no_grad():\n            penalty_value = float(penalty(model))\n"
    ),
    "            loss.backward()  # autograd computes dL/dθ for every parameter\n": (
        "            (loss + penalty(model)).backward()  # autograd: dL/dθ of the loss plus the weights' penalty\n"
    ),
}
PENALTY_LOG = {
    "numpy": (
        "Loss: {number(epoch_loss, precise)}",
        "Loss: {number(epoch_loss, precise)} Penalty: {number(penalty, precise)}",
    ),
    "torch": (
        "Loss: {number(epoch_loss, precise)}",
        "Loss: {number(epoch_loss, precise)} Penalty: {number(penalty_value, precise)}",
    ),
}
TORCH_PENALTY = {
    "l1": """\
def penalty(model):
    \"\"\"L1: rate·Σ|w| over the weights of every nn.Linear (the biases go free).\"\"\"
    weights = [module.weight for module in model if isinstance(module, nn.Linear)]
    return REGULARIZATION_RATE * sum(w.abs().sum() for w in weights)
""",
    "l2": """\
def penalty(model):
    \"\"\"L2: rate·½·Σw² over the weights of every nn.Linear (the biases go free).\"\"\"
    weights = [module.weight for module in model if isinstance(module, nn.Linear)]
    return REGULARIZATION_RATE * sum(0.5 * (w * w).sum() for w in weights)
""",
}
