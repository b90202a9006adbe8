# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Put the get-pip stand-in where the installed ansible-test looks for it.

The cache file name carries the pip version ansible-test pins, which changes
between ansible-core releases, so ask ansible-test instead of hard-coding it.
"""
import os
import shutil
import sys

from ansible_test._internal.python_requirements import get_venv_packages


class _Python:  # get_venv_packages only reads .version
    version = "%d.%d" % sys.version_info[:2]


def main():
    pip_version = get_venv_packages(_Python())["pip"]
    target = os.path.expanduser(
        "~/.ansible/test/cache/get_pip_%s.py" % pip_version.replace(".", "_"))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(os.path.join(os.path.dirname(__file__), "get_pip_standin.py"), target)
    print("get-pip stand-in for pip %s: %s" % (pip_version, target))


if __name__ == "__main__":
    main()
