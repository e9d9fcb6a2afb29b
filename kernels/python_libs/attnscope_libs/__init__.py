"""AttnScope's bridge to attention libraries written in Python (docs/python-backends.md).

The C++ worker embeds CPython and calls bridge.handle(json) -> json. Nothing here is imported
by anything but that bridge; each module wraps one library and imports it lazily.
"""
