"""Put compiled bytecode in the deployment zip, so that a cold start does not compile Python.

`make package` runs this on the zip `chalice package` wrote: `python -m infra.bytecode
build/deployment.zip build/sam.yaml`.

Lambda unpacks the zip into a read-only /var/task. Python cannot write the .pyc files it
compiles there, so without them every cold start compiles every module it imports, Balie's
and its dependencies' alike; `chalice package` ships sources (plus whatever __pycache__ the
working tree had, compiled against other timestamps). The bytecode added here is hash-based
and unchecked (PEP 552): a zip keeps file times to two seconds, so timestamp-checked .pyc
files could be judged stale after unpacking, and the deployed sources never change under
their bytecode. The bytecode is the interpreter's own, so it must be the functions' runtime.
"""

import argparse
import py_compile
import re
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

# Read-only, like everything Lambda unpacks; the time is what zip files can hold.
_MODE = 0o644 << 16
_TIME = (2026, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Compiled:
    modules: int
    failed: int
    bytes_before: int
    bytes_after: int


def runtime_of(template: Path) -> str:
    """The functions' runtime in the packaged template; one for all of them."""
    found = set(re.findall(r"^\s*Runtime:\s*(\S+)\s*$", template.read_text(), re.MULTILINE))
    if len(found) != 1:
        raise SystemExit(f"{template}: expected one runtime for every function, found {found}")
    return found.pop()


def add_bytecode(package: Path, runtime: str) -> Compiled:
    """Rewrite `package` with an unchecked-hash .pyc beside every module that compiles."""
    here = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if runtime != here:
        raise SystemExit(f"the functions run {runtime}: compile with it, not with {here}")
    before = package.stat().st_size
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        with zipfile.ZipFile(package) as original:
            kept = [i for i in original.infolist() if "__pycache__/" not in i.filename]
            sources = [i.filename for i in kept if i.filename.endswith(".py")]
            original.extractall(root, members=sources)
            # Some packages carry files that are not Python 3 (templates, fixtures); they
            # stay as they are, and would not be importable anyway.
            failed = sum(not _compile(root / name) for name in sources)
            rewritten = package.with_suffix(".tmp")
            with zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED) as out:
                for info in kept:
                    out.writestr(info, original.read(info))
                for pyc in sorted(root.rglob("*.pyc")):
                    entry = zipfile.ZipInfo(pyc.relative_to(root).as_posix(), _TIME)
                    entry.external_attr = _MODE
                    out.writestr(entry, pyc.read_bytes(), zipfile.ZIP_DEFLATED)
        rewritten.replace(package)
    return Compiled(
        modules=len(sources) - failed,
        failed=failed,
        bytes_before=before,
        bytes_after=package.stat().st_size,
    )


def _compile(source: Path) -> bool:
    try:
        py_compile.compile(
            str(source),
            doraise=True,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
            optimize=0,
        )
    except (py_compile.PyCompileError, SyntaxError, UnicodeDecodeError, ValueError):
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", type=Path, help="the deployment zip")
    parser.add_argument("template", type=Path, help="the packaged template (for the runtime)")
    args = parser.parse_args(argv)
    done = add_bytecode(args.package, runtime_of(args.template))
    print(
        f"{args.package}: bytecode for {done.modules} modules ({done.failed} not Python 3), "
        f"{done.bytes_before / 1e6:.1f} MB → {done.bytes_after / 1e6:.1f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
