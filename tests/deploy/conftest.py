"""The deployable template and zip: `chalice package` with infra/template.yaml merged in and
the bytecode added, as `make package` builds them. Packaged once per test session (on one
xdist worker: group "package")."""

import fcntl
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_TIMEOUT_SECONDS = 600


class Packaged:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.template_path = directory / "sam.yaml"
        template, problems = decode(str(self.template_path))
        assert not problems, problems
        self.template: dict[str, Any] = template
        self.resources: dict[str, Any] = template["Resources"]

    def functions(self) -> dict[str, dict[str, Any]]:
        return {
            name: body["Properties"]
            for name, body in self.resources.items()
            if body["Type"] == "AWS::Serverless::Function"
        }

    def statements(self, function: str) -> list[dict[str, Any]]:
        """Every IAM statement the function's role grants: its inline and managed policies."""
        role = self.resources[self.functions()[function]["Role"]["Fn::GetAtt"][0]]["Properties"]
        found = [s for p in role.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
        for arn in role.get("ManagedPolicyArns", []):
            document = self.resources[arn["Ref"]]["Properties"]["PolicyDocument"]
            found += document["Statement"]
        return found


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Packaged:
    out = tmp_path_factory.mktemp("package") / "build"
    chalice = Path(sys.executable).parent / "chalice"
    # Each xdist worker packages; chalice caches zips in .chalice/deployments and creates that
    # folder without tolerating a second creator, so on a clean clone two workers at once
    # failed with FileExistsError. One at a time, the second reuses the first one's cache.
    deployments = REPO_ROOT / ".chalice" / "deployments"
    deployments.mkdir(exist_ok=True)
    with (REPO_ROOT / ".chalice" / ".package.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = subprocess.run(  # noqa: S603 - our own tool, no shell
            [str(chalice), "package", "--stage", "dev", "--merge-template",
             "infra/template.yaml", str(out)],
            cwd=REPO_ROOT,
            env={**os.environ, "AWS_DEFAULT_REGION": "eu-west-1"},
            capture_output=True,
            text=True,
            timeout=PACKAGE_TIMEOUT_SECONDS,
            check=False,
        )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    compiled = subprocess.run(  # noqa: S603 - our own script, no shell
        [
            sys.executable,
            "-m",
            "infra.bytecode",
            str(out / "deployment.zip"),
            str(out / "sam.yaml"),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=PACKAGE_TIMEOUT_SECONDS,
        check=False,
    )
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    return Packaged(out)
