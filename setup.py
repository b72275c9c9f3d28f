"""Ships the project's folders (templates and their catalogs, samples, example subscribers, the
example configuration) inside the package as ``hrc_outreach/_bundled/``, so an installed wheel
works outside a checkout; everything else is in pyproject.toml. ``hrc_outreach.paths`` finds them
there first and in the checkout otherwise."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = ("templates", "samples", "subscribers", "outreach.toml")


class BuildWithBundledFiles(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "hrc_outreach" / "_bundled"
        for name in BUNDLED:
            src, dst = ROOT / name, target / name
            if src.is_dir():
                shutil.copytree(
                    src,
                    dst,
                    dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
                )
            elif src.is_file():
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)


setup(cmdclass={"build_py": BuildWithBundledFiles})
