"""The one list of features (bot/features.py): what the runtime and the command line take
from each Feature object, and in which order."""

from __future__ import annotations

from collections.abc import Callable

from bot.app import App
from bot.cli import main
from bot.feature import Feature, routes_of
from bot.features import FEATURES
from bot.runtime import Runtime
from handlers.context import HandlerContext
from handlers.routes import ConversationHandler, Routes
from storage.database import Database


async def test_start_hooks_run_in_the_lists_order_and_stop_hooks_in_reverse(db: Database) -> None:
    calls: list[str] = []

    def feature(name: str) -> Feature:
        async def start(app: App) -> None:
            calls.append(f"start {name}")

        async def stop(app: App) -> None:
            calls.append(f"stop {name}")

        return Feature(name, on_start=start, on_stop=stop)

    runtime = Runtime(db, [], features=(feature("a"), feature("b"), Feature("c")))
    await runtime.start()
    assert calls == ["start a", "start b"]
    await runtime.stop()
    assert calls == ["start a", "start b", "stop b", "stop a"]


async def test_routes_are_collected_in_the_lists_order() -> None:
    async def first(ctx: HandlerContext) -> bool:
        return True

    async def second(ctx: HandlerContext) -> bool:
        return True

    def register(handler: ConversationHandler) -> Callable[[Routes], None]:
        def plug(routes: Routes) -> None:
            routes.conversation(handler)

        return plug

    routes = routes_of((Feature("one", routes=register(first)), Feature("none"),
                        Feature("two", routes=register(second))))  # fmt: skip
    assert routes.conversations == [first, second]


def test_every_feature_of_the_list_is_reachable_from_chat_and_command_line() -> None:
    names = [feature.name for feature in FEATURES]
    assert len(names) == len(set(names))
    routes = routes_of(FEATURES)  # raises on a command or payload prefix registered twice
    assert {"pomoc", "seje", "sklic", "povezani"} <= set(routes.commands)
    for feature in FEATURES:
        for command in feature.commands:
            assert main.commands[command.name] is command
    assert {"session", "live", "survey", "roster"} <= set(main.commands)
