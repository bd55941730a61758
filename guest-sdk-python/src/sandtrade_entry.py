"""The component entry of a Python strategy: what componentize-py builds.

    componentize-py -d <repo>/wit -w strategy componentize sandtrade_entry \\
        -p <project dir> -p <sdk src dir> -o <name>.wasm

It imports the project's `strategy` module, finds the one `sandtrade.Strategy` subclass
defined there, routes the SDK's host functions to the component's imports, and exports the
`strategy` world (the `WitWorld` class componentize-py looks for). Strategy authors never
import it.

componentize-py runs this module at build time and snapshots the result, so every mistake
it can see (no strategy.py, no subclass, two subclasses, a describe() that returns something
else) stops the build with a sentence saying what to fix.
"""

from __future__ import annotations

import importlib
import sys

from sandtrade._runner import BuildError, Runner, check_metadata, find_strategy


def _fail(message: str) -> BuildError:
    # componentize-py prints the traceback; the sentence also goes last on its own line, so it
    # is the first thing read.
    print(f"\nsandtrade: {message}\n", file=sys.stderr)
    return BuildError(message)


try:
    from sandtrade import _bridge
except ImportError as error:
    raise _fail(
        "sandtrade_entry runs only inside a component built by componentize-py "
        f"(the generated bindings are missing: {error}). In tests, import your strategy and "
        "use sandtrade.testing instead."
    ) from None

try:
    _strategy_module = importlib.import_module("strategy")
except ModuleNotFoundError as error:
    if error.name != "strategy":
        raise
    raise _fail(
        "no module `strategy` found: the project directory passed first with -p must contain "
        "strategy.py, defining one subclass of sandtrade.Strategy."
    ) from None

try:
    _runner = Runner(find_strategy(_strategy_module))
    check_metadata(_runner.cls)
except BuildError as error:
    raise _fail(str(error)) from None

from sandtrade import _host  # noqa: E402 - after the checks above, on purpose

_host.install(_bridge.ComponentHost())


class WitWorld:
    """The `strategy` world's exports, as componentize-py calls them."""

    def describe(self):  # type: ignore[no-untyped-def]
        return _bridge.metadata_to_wit(_runner.describe())

    def init(self, params):  # type: ignore[no-untyped-def]
        refusal = _runner.init(params)
        if refusal is not None:
            raise _bridge.refusal_to_wit(refusal)

    def on_bar(self, bar):  # type: ignore[no-untyped-def]
        if _runner.instance is not None:
            _runner.on_bar(_bridge.bar_from_wit(bar))

    def on_bars(self, symbols, source, bars):  # type: ignore[no-untyped-def]
        if _runner.instance is None:
            return len(bars.symbol)
        # Each bar is converted when it is reached: the batch stops after the bar of an
        # accepted signal, and the host sends the rest again in a later call.
        return _runner.on_bars(_bridge.bars_from_wit(symbols, source, bars))

    def on_fill(self, fill):  # type: ignore[no-untyped-def]
        if _runner.instance is not None:
            _runner.on_fill(_bridge.fill_from_wit(fill))
