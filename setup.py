"""Map the repository's top-level folders into the one import package ``brokerlink``.

``src/brokerlink`` is the hand-written core, ``generated/`` becomes ``brokerlink.generated`` and
``plugins/`` becomes ``brokerlink.plugins``. All metadata lives in pyproject.toml; this file only
computes the package list, which pyproject.toml cannot express for remapped folders.
"""

from setuptools import find_packages, setup

ROOTS = {
    "brokerlink": "src/brokerlink",
    "brokerlink.generated": "generated",
    "brokerlink.plugins": "plugins",
}

packages = []
for name, path in ROOTS.items():
    packages.append(name)
    packages += [f"{name}.{sub}" for sub in find_packages(path)]

setup(package_dir=ROOTS, packages=packages)
