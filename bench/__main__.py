"""``python -m bench [--quick] [--out DIR]``: see bench/cli.py; ``python -m bench piper
[VOICE.onnx]``: the Piper voice's figures (bench/piper.py)."""

import sys

if sys.argv[1:2] == ["piper"]:
    from .piper import main as piper_main

    piper_main(sys.argv[2:])
else:
    from .cli import main

    main()
