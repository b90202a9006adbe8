# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline stand-in for the get-pip.py script ansible-test downloads.

ansible-test bootstraps pip into each empty sanity virtualenv by running a
get-pip script it fetches from ci-files.testing.ansible.com; that host is not
reachable from our CI.  This stand-in does the same job with what every CPython
ships: ``ensurepip`` installs the bundled pip, which then installs the exact
packages ansible-test asked for (``pip==X``) from PyPI like get-pip would.

ansible-test runs pip with a scrubbed environment, so PIP_* settings the machine
relies on (a CA bundle for a TLS-intercepting proxy, a mirror) would be lost;
`install_get_pip_standin.py` bakes them in below and this script writes them to
the virtualenv's own pip.conf, which every later pip run in that venv reads.
"""
import os
import subprocess
import sys

PIP_SETTINGS = {}  # replaced at install time

# get-pip understands these switches itself; plain ``pip install`` does not.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}


def write_site_config():
    if not PIP_SETTINGS:
        return
    lines = ["[global]"] + ["%s = %s" % item for item in sorted(PIP_SETTINGS.items())]
    with open(os.path.join(sys.prefix, "pip.conf"), "w") as conf:
        conf.write("\n".join(lines) + "\n")


def main():
    write_site_config()
    # A child process: ensurepip.bootstrap() sets PIP_CONFIG_FILE=/dev/null in
    # its own environment, which would hide the pip.conf written above.
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))


if __name__ == "__main__":
    main()
