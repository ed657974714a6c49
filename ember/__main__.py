"""``python -m ember``: the command line.

    python -m ember                      train the digits CNN (the main job)
    python -m ember train [options]      the same, with options (see --help)
    python -m ember run script.py ...    run a PyTorch script with ``torch`` resolving to ember
"""
import runpy
import sys


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == 'run':
        if len(argv) < 2:
            print('usage: python -m ember run script.py [args...]', file=sys.stderr)
            return 2
        from ._torch_alias import install_as_torch
        install_as_torch()
        script = argv[1]
        sys.argv = argv[1:]
        if script == '-m':
            sys.argv = argv[2:]
            runpy.run_module(argv[2], run_name='__main__', alter_sys=True)
        else:
            runpy.run_path(script, run_name='__main__')
        return 0
    if argv and argv[0] in ('-h', '--help'):
        print(__doc__)
        return 0
    if argv and argv[0] == 'train':
        argv = argv[1:]
    from .examples.train import main as train
    train(argv)
    return 0


if __name__ == '__main__':
    sys.exit(main())
