"""Builds the Python package's extension (python/fer/_fer.cpp) over the header-only library and
puts the shipped models inside the package, where it finds them after installation.

Environment: FER_NATIVE=0 builds for any x86-64 CPU instead of this one (as the CMake option;
fer's own AVX2 kernels are chosen at run time either way).
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

from pybind11.setup_helpers import Pybind11Extension, build_ext
from setuptools import setup
from setuptools.command.build_py import build_py

TOP = Path(__file__).resolve().parent
VERSION = re.search(r'FER_VERSION_STRING "([^"]+)"',
                    (TOP / "include/fer/version.hpp").read_text()).group(1)


def eigen_include_dirs():
    try:
        flags = subprocess.run(["pkg-config", "--cflags-only-I", "eigen3"], check=True,
                               capture_output=True, text=True).stdout.split()
        return [flag[2:] for flag in flags]
    except (OSError, subprocess.CalledProcessError):
        return ["/usr/include/eigen3"]


class build_py_with_models(build_py):
    """Copies weights/ (the models, their licences and provenance) into the package."""

    def run(self):
        super().run()
        target = Path(self.build_lib) / "fer" / "weights"
        target.mkdir(parents=True, exist_ok=True)
        for file in sorted((TOP / "weights").iterdir()):
            if file.suffix in (".gguf", ".md", ".json") or file.name.startswith("LICENSE"):
                shutil.copy2(file, target / file.name)


(TOP / "build-python").mkdir(exist_ok=True)
native = os.environ.get("FER_NATIVE", "1") != "0"
extension = Pybind11Extension(
    "fer._fer",
    ["python/fer/_fer.cpp"],
    include_dirs=[str(TOP / "include")] + eigen_include_dirs(),
    # The library's headers: a changed header rebuilds the extension in build-python/.
    depends=sorted(str(p.relative_to(TOP)) for p in (TOP / "include").rglob("*.hpp")),
    libraries=["stb", "pthread"],
    define_macros=[("NDEBUG", None)],
    extra_compile_args=["-O3"] + (["-march=native"] if native else []),
    cxx_std=17,
)

setup(
    version=VERSION,
    packages=["fer"],
    package_dir={"": "python"},
    package_data={"fer": ["py.typed", "*.pyi"]},
    ext_modules=[extension],
    cmdclass={"build_py": build_py_with_models, "build_ext": build_ext},
    # Out of the way of CMake's build/ folder.
    options={"build": {"build_base": "build-python"}, "egg_info": {"egg_base": "build-python"}},
    zip_safe=False,
)
