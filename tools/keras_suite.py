"""Runs Keras's own shipped tests with keras_acts imported; compares to known.

Keras ships its test files inside the installed package
(``keras/src/**/*_test.py``). This runs a chosen set of them through pytest
with tools/keras_suite_plugin.py, which imports keras_acts first, and fails
if any test fails that is not listed in tools/keras_suite_known.txt (tests
that fail without keras_acts too, each with its reason).

    python tools/keras_suite.py                 # with keras_acts (CI)
    python tools/keras_suite.py --mode without  # the baseline, no keras_acts
    python tools/keras_suite.py --mode substitute  # keras_acts' ReLU, ... layers

``--mode substitute`` runs Keras's layer tests of ReLU, LeakyReLU, ELU,
Softmax and PReLU with keras_acts' same-named classes in their place. CI
runs ``with`` and ``substitute``. Exit status 1 on an unexpected failure.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
KNOWN = os.path.join(HERE, "keras_suite_known.txt")
MODULES = {
    "with": [
        "activations",
        "layers/activations",
        "layers/core",
        "layers/rnn",
        "losses",
        "saving",
        "models",
    ],
    "substitute": [
        f"layers/activations/{name}_test.py"
        for name in ("relu", "leaky_relu", "elu", "softmax", "prelu")
    ],
}
MODULES["without"] = MODULES["with"]


def keras_src():
    import keras

    return os.path.join(os.path.dirname(keras.__file__), "src")


def read_known():
    """Test id -> reason, from tools/keras_suite_known.txt."""
    known = {}
    with open(KNOWN) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                test, _, reason = line.partition(" # ")
                known[test.strip()] = reason.strip()
    return known


def run(mode, workers):
    src = keras_src()
    paths = [os.path.join(src, m) for m in MODULES[mode]]
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.xml")
        env = dict(os.environ, KERAS_ACTS_SUITE=mode)
        env["PYTHONPATH"] = os.pathsep.join(
            [HERE, os.path.dirname(HERE), env.get("PYTHONPATH", "")]
        )
        command = [sys.executable, "-m", "pytest", *paths]
        command += [
            "-c",
            os.path.join(HERE, "keras_suite.ini"),
            "-p",
            "keras_suite_plugin",
        ]
        command += ["--rootdir", src, "-q", "-p", "no:cacheprovider", "--tb=short"]
        command += [f"--junitxml={report}"]
        if workers != "0":
            command += ["-n", workers]
        code = subprocess.call(command, env=env, cwd=tmp)
        if code not in (0, 1):  # 1: tests failed; anything else: pytest broke.
            sys.exit(f"pytest exited with {code}")
        return outcomes(report, src)


def outcomes(report, src):
    """(passed, skipped, failed test ids) from a JUnit XML report."""
    passed, skipped, failed = 0, 0, []
    for case in ET.parse(report).getroot().iter("testcase"):
        module = case.get("classname", "").rpartition(".")
        test = f"{module[0]}::{module[2]}::{case.get('name')}"
        test = test.removeprefix("keras.src.")
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(test)
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    return passed, skipped, sorted(failed)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=sorted(MODULES), default="with")
    parser.add_argument("-n", "--workers", default="auto", help="pytest-xdist workers")
    args = parser.parse_args()
    passed, skipped, failed = run(args.mode, args.workers)
    known = read_known()
    unexpected = [t for t in failed if t not in known]
    print(f"\nKeras's own tests, keras_acts mode {args.mode!r}:")
    for test in failed:
        print(
            f"  failed: {test}" + (f"  (known: {known[test]})" if test in known else "")
        )
    for test in unexpected:
        print(f"  UNEXPECTED failure: {test}")
    print(f"keras suite: {passed} passed, {len(failed)} failed, {skipped} skipped")
    if unexpected:
        sys.exit(1)


if __name__ == "__main__":
    main()
