"""The deployment zip carries the bytecode of every module (infra/bytecode.py), so that a cold
start on Lambda's read-only /var/task compiles nothing, and it imports on its own."""

import importlib.util
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bench.imports import lambda_environment
from infra.bytecode import Compiled, add_bytecode, runtime_of
from tests.deploy.conftest import REPO_ROOT, Packaged

pytestmark = pytest.mark.xdist_group("package")

# PEP 552: bit 0 says hash-based, bit 1 says check the source; unchecked is 0b01.
UNCHECKED_HASH = 0b01


def pyc_of(source: str) -> str:
    folder, _, name = source.rpartition("/")
    cached = f"__pycache__/{name[:-3]}.{sys.implementation.cache_tag}.pyc"
    return f"{folder}/{cached}" if folder else cached


def test_given_the_package_then_every_module_has_unchecked_bytecode_of_its_own_source(
    packaged: Packaged,
):
    with zipfile.ZipFile(packaged.directory / "deployment.zip") as package:
        names = set(package.namelist())
        sources = sorted(n for n in names if n.endswith(".py"))
        assert "app.py" in sources and len(sources) > 500
        missing = [s for s in sources if pyc_of(s) not in names]
        assert missing == []
        # Only ours: no __pycache__ the working tree had, compiled against its timestamps.
        assert {n for n in names if n.endswith(".pyc")} == {pyc_of(s) for s in sources}
        for source in ("app.py", "chalicelib/wiring.py", "pydantic/main.py"):
            pyc = package.read(pyc_of(source))
            assert pyc[:4] == importlib.util.MAGIC_NUMBER
            assert int.from_bytes(pyc[4:8], "little") == UNCHECKED_HASH
            assert pyc[8:16] == importlib.util.source_hash(package.read(source))


def test_given_the_package_unpacked_read_only_then_app_imports_from_it_alone(
    packaged: Packaged, tmp_path: Path
):
    task = tmp_path / "task"
    with zipfile.ZipFile(packaged.directory / "deployment.zip") as package:
        package.extractall(task)
    probe = "import app, chalicelib as c, pydantic as p\nprint(app.__file__,c.__file__,p.__file__)"
    done = subprocess.run(  # noqa: S603 - our own interpreter with a fixed argument list
        [sys.executable, "-c", probe],
        cwd=task,
        env={**lambda_environment(), "PYTHONPATH": str(task), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert all(path.startswith(str(task)) for path in done.stdout.split())


def test_given_another_python_than_the_runtime_then_no_bytecode_is_written(tmp_path: Path):
    package = tmp_path / "deployment.zip"
    with zipfile.ZipFile(package, "w") as zipped:
        zipped.writestr("app.py", "x = 1\n")
    before = package.read_bytes()

    with pytest.raises(SystemExit, match=r"python3\.99"):
        add_bytecode(package, "python3.99")

    assert package.read_bytes() == before


def test_given_a_file_that_is_not_python_3_then_it_stays_a_source_and_the_rest_compiles(
    tmp_path: Path,
):
    package = tmp_path / "deployment.zip"
    with zipfile.ZipFile(package, "w") as zipped:
        zipped.writestr("app.py", "x = 1\n")
        zipped.writestr("vendor/old.py", "print 'python 2'\n")
    here = f"python{sys.version_info.major}.{sys.version_info.minor}"

    done = add_bytecode(package, here)

    assert (done.modules, done.failed) == (1, 1)
    assert isinstance(done, Compiled)
    with zipfile.ZipFile(package) as zipped:
        assert sorted(zipped.namelist()) == sorted(["app.py", "vendor/old.py", pyc_of("app.py")])


def test_given_the_packaged_template_then_its_one_runtime_is_read(packaged: Packaged):
    assert runtime_of(packaged.template_path).startswith("python3.")


def test_given_the_requirements_then_each_is_in_the_package_at_its_pinned_version(
    packaged: Packaged,
):
    """`import app` loads few of them (the rest on first use), so only their metadata can
    show that a dependency is missing before a deployed request needs it."""
    pinned = [
        line.split("#")[0].strip()
        for line in (REPO_ROOT / "requirements.txt").read_text().splitlines()
        if line.split("#")[0].strip()
    ]
    with zipfile.ZipFile(packaged.directory / "deployment.zip") as package:
        shipped = {name.split("/")[0].lower() for name in package.namelist()}
    for requirement in pinned:
        name, _, version = requirement.partition("==")
        project = re.sub(r"[-.]", "_", name.split("[")[0]).lower()
        assert f"{project}-{version}.dist-info" in shipped, requirement
