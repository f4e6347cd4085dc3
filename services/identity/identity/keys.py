"""The signing keys' command (``identity.tokens.keys``): ``python -m identity.keys ACTION``.

python -m identity.keys ensure        # a first key when there is none
python -m identity.keys rotate        # add a new signing key
python -m identity.keys prune         # drop all but the two newest keys
python -m identity.keys show          # the published key ids
"""

import argparse
import json

from identity.config import get_settings
from identity.tokens.keys import SigningKeys


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m identity.keys")
    parser.add_argument("action", choices=["ensure", "rotate", "prune", "show"])
    args = parser.parse_args()
    folder = get_settings().keys_dir
    assert folder is not None
    keys = SigningKeys(folder)
    if args.action == "ensure":
        keys.ensure()
    elif args.action == "rotate":
        print(f"new signing key {keys.rotate()}")
    elif args.action == "prune":
        print(f"removed {keys.prune()}")
    print(json.dumps([k["kid"] for k in keys.jwks()["keys"]]))


if __name__ == "__main__":
    main()
