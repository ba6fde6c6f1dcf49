"""`kentra gateway`: publish each tenant's log, pseudonymised, to Kafka (or to the roll-up in process)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from gateways.cli.common import out, platform, tenants_of
from gateways.cli.workers import HealthPort, broker_check, observe_worker, stop_on_signals, worker_log

commands = typer.Typer(help="Publish each tenant's log, pseudonymised, to Kafka.", no_args_is_help=True)


@commands.command("run")
def gateway_run(
    interval: Annotated[float, typer.Option(help="Seconds to wait when every log is published")] = 1.0,
    once: Annotated[bool, typer.Option("--once", help="Publish what is there and exit")] = False,
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="Log events per delivery")] = 1000,
    health_port: HealthPort = None,
) -> None:
    """Publish every tenant's log to kentra.events.v1, in order; the position moves only once acknowledged.

    Signed audit checkpoints go to kentra.checkpoints.v1. Without KENTRA_KAFKA_BOOTSTRAP_SERVERS the
    envelopes go straight to the regional roll-up in process, and checkpoints stay unpublished. A
    broker that is away, at start or later, is waited for: nothing moves until it acknowledges.
    """
    from kafka.errors import KafkaError

    from gateways.kafka.checkpoints import publish_checkpoints
    from gateways.kafka.gateway import DirectSink, Gateway, KafkaSink
    from gateways.observability import Heartbeat

    stopping = stop_on_signals()
    with platform() as kentra:
        servers = kentra.settings.kafka_bootstrap_servers
        topic = kentra.settings.kafka_topic
        heartbeat = Heartbeat()
        current: dict[str, Any] = {}  # the gateway and sinks in use; dropped and made anew after a broker error

        def connect() -> Gateway:
            if "gateway" not in current:
                if servers:
                    current["sinks"] = [
                        KafkaSink(kentra.kafka_producer(), topic=topic),
                        KafkaSink(kentra.kafka_producer(), topic=kentra.settings.kafka_checkpoint_topic),
                    ]
                    current["gateway"] = Gateway(kentra, current["sinks"][0], batch=batch)
                else:
                    current["sinks"] = []
                    current["gateway"] = Gateway(kentra, DirectSink(kentra), batch=batch)
            gateway: Gateway = current["gateway"]
            return gateway

        def disconnect() -> None:
            for sink in current.pop("sinks", []):
                sink.close()
            current.pop("gateway", None)

        broker = {"broker": broker_check(servers)} if servers else {}
        metrics = observe_worker(kentra, health_port, heartbeat, broker)
        tenant_ids = tenants_of(kentra, None)
        worker_log.info("publishing %d tenants to %s", len(tenant_ids), servers or "the in-process roll-up")
        try:
            while not stopping.is_set():
                heartbeat.beat()
                try:
                    gateway = connect()
                    published = sum(gateway.publish(tid) for tid in tenant_ids)
                    if servers:
                        checkpoints = current["sinks"][1]
                        published += sum(
                            publish_checkpoints(kentra.audit_chain(tid), checkpoints) for tid in tenant_ids
                        )
                except KafkaError as error:  # the broker is away: nothing moved, try again shortly
                    metrics.delivery_errors.labels(topic).inc()
                    worker_log.warning("broker unavailable (%s); retrying", type(error).__name__)
                    disconnect()  # start afresh rather than trust a producer in doubt
                    stopping.wait(interval)
                    continue
                if once and published == 0:
                    break
                if published == 0:
                    stopping.wait(interval)
        finally:
            disconnect()


@commands.command("replay")
def gateway_replay(
    tenant: Annotated[list[str], typer.Option("--tenant", "-t", help="The tenant(s) whose log to publish again")],
) -> None:
    """Publish these tenants' logs again from the start, on the gateway's next run.

    After a new linkage key of their Region (docs/regions.md): once the Region's roll-up of each was
    emptied, the replay rebuilds it with every link under the new key.
    """
    from gateways.kafka.gateway import DirectSink, Gateway

    with platform() as kentra:
        gateway = Gateway(kentra, DirectSink(kentra))
        for tid in tenant:
            out.print(f"{tid}: published again from the start on the next run (was at {gateway.replay(tid)})")
