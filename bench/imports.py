"""Cold-start cost of `import app`, measured in fresh interpreters with a Lambda's environment."""

import json
import os
import re
import statistics
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# `import time: self | cumulative | <indent>name`; the app module is the only top-level `app`.
_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( +)(\S+)$")
# Packages whose presence after `import app` says a cold start pays for them (DESIGN.md).
# (`botocore` alone is not listed: Powertools imports the bare package, which costs ~1 ms.)
_HEAVY = (
    "boto3",
    "botocore.client",
    "aws_xray_sdk",
    "jwt",
    "cryptography",
    "moto",
    "jinja2",
    "nh3",
)


@dataclass(frozen=True)
class ImportRun:
    ms: float
    children: dict[str, float]
    by_package: dict[str, float]
    heavy_loaded: list[str]
    modules: int


def lambda_environment() -> dict[str, str]:
    """What a deployed function sees: the runtime's variables and the app's settings.

    No AWS_ENDPOINT_URL and no moto. The credentials are dummies because importing must not
    need any; the settings are the names a stage would set.
    """
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "LAMBDA_TASK_ROOT": str(ROOT),
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
        "AWS_LAMBDA_FUNCTION_NAME": "balie-dev",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "BALIE_STAGE": "dev",
        "BALIE_TABLE_NAME": "balie-dev-Table",
        "BALIE_TABLE_STREAM_ARN": (
            "arn:aws:dynamodb:eu-west-1:000000000000:table/balie-dev-Table/stream/2026-01-01"
        ),
        "BALIE_USER_POOL_ID": "eu-west-1_bench",
        "BALIE_USER_POOL_CLIENT_ID": "bench",
    }


_PROBE = (
    "import json, sys\n"
    "import app\n"
    f"heavy = {list(_HEAVY)!r}\n"
    "print(json.dumps({'heavy': [m for m in heavy if m in sys.modules], "
    "'modules': len(sys.modules)}))\n"
)


def import_once() -> ImportRun:
    done = subprocess.run(  # noqa: S603 - our own interpreter with a fixed argument list
        [sys.executable, "-X", "importtime", "-c", _PROBE],
        cwd=ROOT,
        env=lambda_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"`import app` failed in a Lambda-like environment:\n{done.stderr[-3000:]}"
        )
    app_us: int | None = None
    children: dict[str, float] = {}
    by_package: Counter[str] = Counter()
    # A module's imports are listed, one level deeper, just before the module's own line,
    # so everything since the previous top-level line belongs to `app`.
    pending: dict[str, float] = {}
    pending_self: Counter[str] = Counter()
    for line in done.stderr.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        own, cumulative, indent, name = int(match[1]), int(match[2]), len(match[3]), match[4]
        pending_self[name.split(".")[0]] += own
        if indent == 1:
            if name == "app":
                app_us, children, by_package = cumulative, pending, pending_self
            pending, pending_self = {}, Counter()
        elif indent == 3:
            pending[name] = cumulative / 1000
    if app_us is None:
        raise RuntimeError("no `app` line in the -X importtime output")
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    packages = {name: us / 1000 for name, us in by_package.items()}
    return ImportRun(app_us / 1000, children, packages, probe["heavy"], probe["modules"])


def measure(runs: int) -> dict[str, object]:
    import_once()  # discarded: the first run may compile .pyc files and warm the page cache
    results = [import_once() for _ in range(runs)]
    times = [round(r.ms, 1) for r in results]
    middle = sorted(results, key=lambda r: r.ms)[len(results) // 2]
    heaviest = sorted(middle.children.items(), key=lambda kv: kv[1], reverse=True)[:6]
    packages = sorted(middle.by_package.items(), key=lambda kv: kv[1], reverse=True)[:8]
    return {
        "import_app_ms": round(statistics.median(times), 1),
        "import_app_ms_runs": times,
        "import_app_detail": {
            "heaviest_direct_imports_ms": {name: round(ms, 1) for name, ms in heaviest},
            "self_time_by_top_level_package_ms": {name: round(ms, 1) for name, ms in packages},
            "heavy_packages_loaded": middle.heavy_loaded,
            "modules_loaded": middle.modules,
            "environment": sorted(k for k in lambda_environment() if k != "PATH"),
        },
    }


# --- from the deployment package -----------------------------------------------------------

PACKAGE = ROOT / "build" / "deployment.zip"
_TIMED = (
    "import time\n"
    "started = time.perf_counter()\n"
    "import app\n"
    "print((time.perf_counter() - started) * 1000)\n"
)


def _package_import_ms(task_root: Path) -> float:
    """`import app` from an unpacked package, as Lambda runs it: the package first on the
    path, a read-only directory (nothing compiled is kept). boto3 comes from this
    interpreter, as it comes with the Lambda runtime."""
    env = {
        **lambda_environment(),
        "LAMBDA_TASK_ROOT": str(task_root),
        "PYTHONPATH": str(task_root),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    done = subprocess.run(  # noqa: S603 - our own interpreter with a fixed argument list
        [sys.executable, "-c", _TIMED],
        cwd=task_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"`import app` from the package failed:\n{done.stderr[-3000:]}")
    return float(done.stdout.strip().splitlines()[-1])


def measure_package(runs: int, package: Path = PACKAGE) -> dict[str, object]:
    """The cold start `make package` ships: `import app` from its zip unpacked, with the
    bytecode infra/bytecode.py adds and with the sources alone (what chalice package
    writes), alternating, one warm-up each."""
    import tempfile
    import zipfile

    if not package.exists():
        return {"skipped": f"no {package.relative_to(ROOT)}: run `make package` first"}
    with tempfile.TemporaryDirectory() as scratch:
        built, sources = Path(scratch, "with_bytecode"), Path(scratch, "sources_only")
        with zipfile.ZipFile(package) as zipped:
            names = zipped.namelist()
            zipped.extractall(built)
            zipped.extractall(sources, [n for n in names if "__pycache__/" not in n])
        for tree in (built, sources):
            for path in tree.rglob("*"):
                path.chmod(path.stat().st_mode & 0o555)
        timings: dict[str, list[float]] = {"with_bytecode": [], "sources_only": []}
        for i in range(runs + 1):
            for name, tree in (("with_bytecode", built), ("sources_only", sources)):
                ms = _package_import_ms(tree)
                if i:
                    timings[name].append(round(ms, 1))
        for tree in (built, sources):  # writable again, so that the directory can go
            for path in tree.rglob("*"):
                path.chmod(path.stat().st_mode | 0o200)
    return {
        "zip_bytes": package.stat().st_size,
        "bytecode_files": sum(n.endswith(".pyc") for n in names),
        "import_app_ms": {k: statistics.median(v) for k, v in timings.items()},
        "import_app_ms_runs": timings,
    }


if __name__ == "__main__":
    json.dump(measure(int(os.environ.get("RUNS", "5"))), sys.stdout, indent=2)
