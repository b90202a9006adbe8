# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline stand-in for the get-pip.py script ansible-test downloads.

ansible-test bootstraps pip into each empty sanity virtualenv by running a
get-pip script it fetches from ci-files.testing.ansible.com; that host is not
reachable from our CI.  This stand-in does the same job with what every CPython
ships: ``ensurepip`` installs the bundled pip, which then installs the exact
packages ansible-test asked for (``pip==X``) from PyPI like get-pip would.
`make setup` copies it to ~/.ansible/test/cache/get_pip_<version>.py.
"""
import ensurepip
import subprocess
import sys

# get-pip understands these switches itself; plain ``pip install`` does not.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}


def main():
    ensurepip.bootstrap(upgrade=True)
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))


if __name__ == "__main__":
    main()
