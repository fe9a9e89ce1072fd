"""One module per ``survey`` subcommand; see :data:`survey.cli.COMMANDS`.

Commands are thin: parse options, call library functions, print, choose the exit code.
Heavy libraries are imported inside the command functions.
"""
