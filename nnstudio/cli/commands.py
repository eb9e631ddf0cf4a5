"""The other commands: gradcheck, presets, snapshot, export, bench and lessons, each a thin call into the core."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from nnstudio.cli.experiment_options import add_experiment_options, build_trainer
from nnstudio.cli.output import EXIT_DIVERGED, EXIT_OK, OneLineParser, one_line
from nnstudio.core.errors import NNStudioError

EXPORT_KINDS = ("script", "weights", "state-dict", "loss-csv")


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """Every command but train, in the order `nnstudio --help` lists them."""
    gradcheck = commands.add_parser("gradcheck", help="manual vs autograd vs finite-difference gradients")
    add_experiment_options(gradcheck)
    gradcheck.set_defaults(handler=command_gradcheck)
    presets = commands.add_parser("presets", help="list the built-in experiments")
    presets.add_argument("--json", action="store_true")
    presets.set_defaults(handler=command_presets)
    snapshot = commands.add_parser("snapshot", help="train in the real window offscreen and save a PNG of it")
    add_experiment_options(snapshot)
    snapshot.add_argument("--size", type=_size, default=(1280, 800), metavar="WxH")
    snapshot.add_argument("-o", "--output", required=True, metavar="FILE.png")
    snapshot.set_defaults(handler=command_snapshot)
    exports = commands.add_parser("export", help="write the window's exports from a saved experiment file")
    exports.add_argument(
        "kind",
        choices=EXPORT_KINDS,
        help="a training script (.py), the weights (.npz), a PyTorch state_dict (.pt) or the loss history (.csv)",
    )
    exports.add_argument("--experiment", required=True, metavar="FILE", help="the saved run (.nnstudio or .toml)")
    exports.add_argument("-o", "--output", required=True, metavar="FILE")
    exports.add_argument("--backend", choices=("numpy", "torch"), help="the script's flavour (default: the run's)")
    exports.set_defaults(handler=command_export)
    bench = commands.add_parser("bench", help="measure training speed, the window's cost, start-up and memory")
    bench.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    bench.add_argument("--quick", action="store_true", help="a much shorter run (a smoke test; figures are rough)")
    bench.set_defaults(handler=command_bench)
    lessons = commands.add_parser("lessons", help="check lesson files the way a class uses them")
    lesson_actions = lessons.add_subparsers(dest="action", metavar="check", required=True, parser_class=OneLineParser)
    check = lesson_actions.add_parser(
        "check", help="set up and run every page, and check its [expect] (exit 1 when a page does not)"
    )
    check.add_argument("files", nargs="*", metavar="FILE", help="lesson files (.toml); none: the shipped lessons")
    lessons.set_defaults(handler=command_lessons)


GRADCHECK_FLOAT32 = (
    "gradcheck always checks in float64: finite differences need its ~16 digits (float32 keeps ~7, "
    "so the three gradients would disagree for no fault of the backward pass); leave out --dtype float32"
)


def command_gradcheck(options: argparse.Namespace) -> int:
    from nnstudio.core.engine.gradcheck import DIFFER, check_trainer

    if options.dtype == "float32":
        raise NNStudioError(GRADCHECK_FLOAT32)
    trainer = build_trainer(options)
    result = check_trainer(trainer)
    if options.json:
        print(json.dumps({"type": "gradcheck", "dtype": "float64", **result.to_dict()}), flush=True)
        return EXIT_OK

    def show(value: float | None) -> str:
        return "n/a (no torch)" if value is None else f"{value:.2e}"

    print(f"loss at the initial weights: {result.loss:.7g} (all three gradients in float64)")
    training = trainer.training
    if training.penalised:
        print(
            f"{training.regularization.upper()} penalty {result.penalty:.7g} (rate {training.regularization_rate:g}): "
            "the gradients are those of the loss + penalty"
        )
    print(
        f"{'parameter':<10} {'shape':<10} {'max |dL/dθ|':>12} {'manual vs autograd':>20} {'manual vs finite diff':>22}"
    )
    for p in result.parameters:
        shape = "x".join(str(s) for s in p.manual.shape)
        biggest = float(abs(p.manual).max()) if p.manual.size else 0.0
        print(
            f"{p.name:<10} {shape:<10} {biggest:>12.4g} {show(p.manual_vs_autograd):>20} "
            f"{show(p.manual_vs_finite_difference):>22}"
        )
    print(
        f"largest relative difference: manual vs autograd {show(result.max_rel_diff_manual_vs_autograd)}, "
        f"manual vs finite differences {show(result.max_rel_diff_manual_vs_finite_diff)}"
    )
    print(f"{'✗' if result.verdict == DIFFER else '✓'} the gradients {result.verdict}")
    return EXIT_OK


def command_presets(options: argparse.Namespace) -> int:
    from nnstudio.core.engine.presets import PRESETS

    if options.json:
        presets = [{"name": name, "description": e.description} for name, e in PRESETS.items()]
        print(json.dumps({"type": "presets", "presets": presets}))
        return EXIT_OK
    width = max(len(name) for name in PRESETS)
    for name, experiment in PRESETS.items():
        print(f"{name:<{width}}  {experiment.description}")
    return EXIT_OK


def command_snapshot(options: argparse.Namespace) -> int:
    from nnstudio.gui.app import render_snapshot

    epochs, options.epochs = options.epochs, None if options.epochs == 0 else options.epochs
    experiment = build_trainer(options).experiment  # checked, with a loss that fits the data
    return render_snapshot(experiment, options.output, options.size, experiment.training.epochs if epochs != 0 else 0)


def command_export(options: argparse.Namespace) -> int:
    """Write one of the window's exports from a saved run (or a settings file: its initial weights)."""
    from nnstudio.core.storage import export
    from nnstudio.core.storage.archive import read_experiment_file

    if options.backend is not None and options.kind != "script":
        raise NNStudioError("--backend chooses the script's flavour: it is only for `nnstudio export script`")
    if options.kind == "script" and Path(options.output).suffix != ".py":
        raise NNStudioError(f"a Python script is named *.py, not {Path(options.output).name!r}")
    export.check_writable(options.output)
    results = export.capture(read_experiment_file(options.experiment).make_trainer())
    flavour = options.backend or results.experiment.training.backend
    write = {
        "script": lambda results, path: export.save_script(results, path, flavour),
        "weights": export.save_weights_npz,
        "state-dict": export.save_state_dict,
        "loss-csv": export.save_loss_csv,
    }[options.kind]
    write(results, options.output)
    print(f"Wrote the {options.kind} of epoch {results.epoch} to {one_line(options.output)}")
    return EXIT_OK


def command_bench(options: argparse.Namespace) -> int:
    from nnstudio.bench import format_report, progress_to_stderr, run

    result = run(quick=options.quick, progress=None if options.json else progress_to_stderr)
    print(json.dumps({"type": "bench", **result}) if options.json else format_report(result), flush=True)
    return EXIT_OK


def command_lessons(options: argparse.Namespace) -> int:
    """`lessons check [FILE…]`: each page set up and run as a class would, one ✓/✗ line per page."""
    from nnstudio.core.teaching.lesson_check import check_page
    from nnstudio.core.teaching.lessons import load_lesson, shipped_lessons

    paths = options.files or shipped_lessons()
    lessons = [load_lesson(path) for path in paths]  # a bad file stops everything before any training
    checked = failed = 0
    for lesson in lessons:
        print(f"{one_line(lesson.path.name)}: {lesson.title}", flush=True)
        for number, page in enumerate(lesson.pages, start=1):
            result = check_page(page, number)
            print(f"  {result.line()}", flush=True)
            checked += bool(result.runs)
            failed += not result.passed
    if failed:
        print(f"{failed} of {checked} page(s) did not do what their [expect] says")
        return EXIT_DIVERGED
    print(f"{checked} page(s) checked: each did what its [expect] says")
    return EXIT_OK


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1280x800, got {text!r}") from None
    if not (200 <= width <= 8000 and 200 <= height <= 8000):
        raise argparse.ArgumentTypeError(f"size must be between 200x200 and 8000x8000, got {text!r}")
    return width, height
