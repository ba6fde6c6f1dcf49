"""`kentra rollup`: consume the topic and build each municipality's regional figures."""

from __future__ import annotations

from typing import Annotated

import typer

from gateways.cli.common import fail, platform
from gateways.cli.workers import HealthPort, broker_check, observe_worker, stop_on_signals, worker_log

commands = typer.Typer(help="Build the regional figures from the topic.", no_args_is_help=True)

ONCE_GIVE_UP_IDLE_POLLS = 60  # `rollup run --once` with nothing assigned for a minute: stop anyway


@commands.command("run")
def rollup_run(
    once: Annotated[
        bool, typer.Option("--once", help="Consume to the end of the partitions the group gives it, then exit")
    ] = False,
    group: Annotated[str, typer.Option(help="Kafka consumer group")] = "kentra-rollup",
    health_port: HealthPort = None,
) -> None:
    """Consume kentra.events.v1 and build each municipality's regional figures (idempotent per event).

    A broker that is away at start is waited for.
    """
    from kafka.errors import KafkaError

    from gateways.kafka.consumer import RollupConsumer
    from gateways.observability import Heartbeat
    from infra.schema_version import wait_for_schema

    stopping = stop_on_signals()
    with platform() as kentra:
        servers = kentra.settings.kafka_bootstrap_servers
        if not servers:
            fail("no KENTRA_KAFKA_BOOTSTRAP_SERVERS: without Kafka the gateway delivers to the roll-up itself")
        wait_for_schema(kentra, rollups=True)  # the Regions' schemas are made by `kentra migrate`
        heartbeat = Heartbeat()
        current: list[RollupConsumer] = []

        observe_worker(kentra, health_port, heartbeat, {"broker": broker_check(servers)})
        try:
            idle = 0
            while not stopping.is_set():
                heartbeat.beat()
                if not current:
                    try:
                        current.append(
                            RollupConsumer(
                                kentra, kentra.kafka_consumer(group=group, topic=kentra.settings.kafka_topic)
                            )
                        )
                    except KafkaError as error:
                        worker_log.warning("broker unavailable (%s); retrying", type(error).__name__)
                        stopping.wait(1.0)
                        continue
                applied = current[0].poll_once(timeout_ms=1000)
                idle = 0 if applied else idle + 1
                # Caught up, not merely idle: after a crash the group first waits out the dead
                # member's session (10 s) before it assigns the partitions again.
                if once and not applied and (current[0].caught_up() or idle >= ONCE_GIVE_UP_IDLE_POLLS):
                    break
        finally:
            for consumer in current:
                consumer.close()
