"""Screenshots of the built docs, as a reader sees them with no network.

Builds the site (tools/gen_docs.py, then mkdocs build --strict), serves it
from 127.0.0.1 with http.server and takes a screenshot of a few pages with
headless Chromium, which is told that every host but 127.0.0.1 does not
exist: a page that needed a CDN or a font service would show it (raw
``\\( ... \\)`` instead of typeset maths, missing styles).

    apt-get install chromium        # Debian's package; once
    python tools/screenshot_docs.py                 # PNGs in /tmp/docs-shots
    python tools/screenshot_docs.py --no-build --out shots --width 1280

The pages: an activation (formula, plot), the PAU layer (formulas in its
docstring, plot, API), the catalog table and the benchmarks page. Look at
the PNGs: maths typeset, no horizontal scrollbar on the catalog table.
"""

import argparse
import functools
import http.server
import os
import pathlib
import shutil
import subprocess
import sys
import threading

ROOT = pathlib.Path(__file__).resolve().parent.parent

PAGES = {
    "activation-gelu": "activations/gelu/",
    "layer-PAU": "layers/PAU/",
    "catalog": "catalog/",
    "benchmarks": "benchmarks/",
    "api": "api/",
}

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")


def find_browser():
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit(
        "No Chromium found: install it with `apt-get install chromium` "
        f"(looked for {', '.join(BROWSERS)})."
    )


def build(site):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    for command in (
        [sys.executable, "tools/gen_docs.py"],
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", site],
    ):
        subprocess.run(command, cwd=ROOT, env=env, check=True)


def serve(site):
    """An HTTP server for `site` on a free port of 127.0.0.1, in a thread."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def screenshot(browser, url, path, width, height):
    command = [
        browser,
        "--headless",
        "--no-sandbox",  # Needed as root.
        "--disable-gpu",
        "--hide-scrollbars=false",
        # No network: every host but the local server is unknown.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--no-first-run",
        "--disable-extensions",
        f"--window-size={width},{height}",
        "--virtual-time-budget=5000",
        f"--screenshot={path}",
        url,
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    if not pathlib.Path(path).exists():
        raise SystemExit(f"Chromium wrote no screenshot for {url}.")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", default="/tmp/docs-site", help="site folder")
    parser.add_argument("--out", default="/tmp/docs-shots", help="PNG folder")
    parser.add_argument("--no-build", action="store_true", help="use --site as is")
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1400)
    parser.add_argument(
        "--pages", nargs="*", default=list(PAGES), help=f"of {list(PAGES)}"
    )
    args = parser.parse_args(argv)
    browser = find_browser()
    if not args.no_build:
        build(args.site)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    server = serve(args.site)
    try:
        port = server.server_address[1]
        for key in args.pages:
            url = f"http://127.0.0.1:{port}/{PAGES[key]}"
            path = out / f"{key}-{args.width}.png"
            screenshot(browser, url, path, args.width, args.height)
            print(f"{url} -> {path}")
    finally:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
