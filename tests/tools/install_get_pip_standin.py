# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Put the get-pip stand-in where the installed ansible-test looks for it.

The cache file name carries the pip version ansible-test pins, which changes
between ansible-core releases, so ask ansible-test instead of hard-coding it.
The PIP_* environment of this machine is baked in (see get_pip_standin.py).
"""
import os
import sys

from ansible_test._internal.python_requirements import get_venv_packages

# pip option name for each environment variable worth carrying into the venvs
CARRIED = {
    "PIP_CERT": "cert",
    "PIP_INDEX_URL": "index-url",
    "PIP_EXTRA_INDEX_URL": "extra-index-url",
    "PIP_TRUSTED_HOST": "trusted-host",
    "PIP_DEFAULT_TIMEOUT": "timeout",
    "PIP_PROXY": "proxy",
}


class _Python:  # get_venv_packages only reads .version
    version = "%d.%d" % sys.version_info[:2]


def main():
    pip_version = get_venv_packages(_Python())["pip"]
    target = os.path.expanduser(
        "~/.ansible/test/cache/get_pip_%s.py" % pip_version.replace(".", "_"))
    settings = {opt: os.environ[var] for var, opt in CARRIED.items() if os.environ.get(var)}
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "get_pip_standin.py")) as src:
        text = src.read().replace("PIP_SETTINGS = {}", "PIP_SETTINGS = %r" % settings, 1)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "w") as dst:
        dst.write(text)
    print("get-pip stand-in for pip %s: %s (carrying %s)" % (pip_version, target, sorted(settings) or "no pip settings"))


if __name__ == "__main__":
    main()
