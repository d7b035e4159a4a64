"""The package list for setuptools (everything else is in pyproject.toml).

The check catalogue (policies/) and the demo's sample estates (samples/estates/) stay at the top of
the repository, where people edit them, and are mapped into the installed package as
auditor.policies and auditor.estates, so that a wheel carries what every command needs.
"""

from setuptools import find_namespace_packages, setup

DATA_DIRS = {"auditor.policies": "policies", "auditor.estates": "samples/estates"}
DATA_FILES = ["*.yaml", "*.yml", "*.json"]

packages = find_namespace_packages(include=["auditor", "auditor.*"], exclude=["*.__pycache__"])
data_packages = []
for package, directory in DATA_DIRS.items():
    data_packages += [package] + [
        f"{package}.{p}"
        for p in find_namespace_packages(where=directory, exclude=["*.__pycache__", "__pycache__"])
    ]

setup(
    packages=packages + data_packages,
    package_dir=DATA_DIRS,
    package_data={
        "auditor": ["py.typed", "report/schema/*.json", "report/templates/*"],
        **dict.fromkeys(data_packages, DATA_FILES),
    },
)
