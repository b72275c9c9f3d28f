"""A built wheel works outside a checkout: installed into a fresh venv, ``hrc-outreach gather`` and
``edition draft`` run from another folder on the samples, templates and catalogs it carries."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("pyproject.toml", "setup.py", "README.md", "src", "flows", "templates", "samples",
           "subscribers", "outreach.toml")  # fmt: skip
UV = Path(sys.executable).with_name("uv")

pytestmark = pytest.mark.slow


def _run(*cmd: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{cmd}: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.skipif(not UV.exists(), reason="uv is not in the venv")
def test_wheel_drafts_the_samples_outside_a_checkout(tmp_path: Path) -> None:
    # build from a copy, so the checkout gets no build/ or egg-info from the test
    src = tmp_path / "src-copy"
    src.mkdir()
    for name in SHIPPED:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(
                path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
            )
        else:
            shutil.copyfile(path, src / name)
    _run(UV, "build", "--wheel", "--offline", "-q", "-o", tmp_path / "dist", cwd=src)
    wheel = next((tmp_path / "dist").glob("hrc_outreach-*.whl"))

    # a fresh venv; its dependencies come from this venv (no download), the package from the wheel
    venv = tmp_path / "venv"
    _run(UV, "venv", "-q", venv, "--python", sys.executable, cwd=tmp_path)
    python = venv / "bin" / "python"
    site = _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                cwd=tmp_path).strip()  # fmt: skip
    Path(site, "deps-from-the-test-venv.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    _run(UV, "pip", "install", "-q", "--offline", "--no-deps", "--python", python, wheel,
         cwd=tmp_path)  # fmt: skip

    work = tmp_path / "elsewhere"  # no checkout here, nothing of it on the path
    work.mkdir()
    where = json.loads(_run(python, "-c", (
        "import json, hrc_outreach, hrc_outreach.paths as p; print(json.dumps({"
        "'package': hrc_outreach.__file__, 'templates': str(p.TEMPLATES_DIR), "
        "'config': str(p.EXAMPLE_CONFIG)}))"
    ), cwd=work))  # fmt: skip
    assert where["package"].startswith(site) and where["templates"].startswith(site)
    assert str(ROOT) not in json.dumps(where)

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("HRC_", "PYTHONPATH"))},
        "HRC_CONFIG": where["config"],  # the bundled example: sources are the bundled samples
        "HRC_DATABASE_URL": f"sqlite:///{work / 'store.db'}",
        "HRC_OUT_DIR": str(work / "out"),
    }
    cli = venv / "bin" / "hrc-outreach"
    _run(cli, "gather", cwd=work, env=env)
    out = _run(cli, "edition", "draft", "--edition", "2026-12", "--languages", "en,fr,ar",
               "--json", cwd=work, env=env)  # fmt: skip
    data = json.loads(out)
    assert data["items"] > 5
    langs = {entry["lang"]: entry for entry in data["languages"]}
    assert all(entry["lint"]["errors"] == 0 for entry in langs.values())
    assert "décembre 2026" in langs["fr"]["subject"]  # the French catalog and CLDR data came along
    html = (work / "out" / "editions" / "2026-12" / "ar" / "email.html").read_text(encoding="utf-8")
    assert 'dir="rtl"' in html
    # the network's logo came along (templates/brand/) and the draft published it beside the archive
    assert Path(where["templates"], "brand", "logo.png").is_file()
    published = work / "out" / "archive" / "logo.png"
    assert published.read_bytes() == (ROOT / "templates" / "brand" / "logo.png").read_bytes()
    assert "/archive/logo.png" in html
