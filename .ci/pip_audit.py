"""pip-audit over the packages installed in the app's virtualenv, where its vulnerability data can be reached.

Usage: pip_audit.py APP_PIP PIP_AUDIT. Exit status 1 when a known vulnerability is found; 0 with a line
saying SKIPPED when the vulnerability service (PyPI's JSON API) cannot be reached or knows none of the
packages (an offline mirror), so that CI on an isolated network still runs everything else."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path


def main(app_pip: str, pip_audit: str) -> int:
    with tempfile.TemporaryDirectory() as folder:
        requirements, report = Path(folder) / "requirements.txt", Path(folder) / "report.json"
        frozen = subprocess.run([app_pip, "freeze", "--exclude-editable"], capture_output=True, text=True, check=True)
        requirements.write_text(frozen.stdout)
        run = subprocess.run(
            [
                pip_audit,
                "-r",
                str(requirements),
                "--no-deps",
                "--disable-pip",
                "--progress-spinner",
                "off",
                "--format",
                "json",
                "-o",
                str(report),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if not report.exists():
            last = (run.stderr.strip().splitlines() or ["no answer"])[-1]
            print(f"!! pip-audit could not reach its vulnerability data ({last[:200]}): SKIPPED")
            return 0
        dependencies = json.loads(report.read_text())["dependencies"]
    audited = [d for d in dependencies if "skip_reason" not in d]
    if not audited:
        print(
            f"!! pip-audit: none of the {len(dependencies)} packages is known to the vulnerability service "
            "(an offline mirror?): SKIPPED"
        )
        return 0
    found = [
        (d["name"], d["version"], v["id"], ", ".join(v.get("fix_versions", [])) or "no fix yet")
        for d in audited
        for v in d.get("vulns", [])
    ]
    print(
        f"== pip-audit: {len(audited)} packages audited, {len(dependencies) - len(audited)} unknown to the "
        f"service, {len(found)} known vulnerabilities"
    )
    for name, version, ident, fixes in found:
        print(f"!! {name} {version}: {ident} (fixed in: {fixes})")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
