"""`kentra gateway`: publish each tenant's log, pseudonymised, to Kafka (or to the roll-up in process)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from gateways.cli.common import out, platform
from gateways.cli.workers import HealthPort, Shard, broker_check, observe_worker, stop_on_signals, worker_log

if TYPE_CHECKING:
    from gateways.kafka.gateway import Gateway
    from infra.bootstrap import Kentra

BROKER_RETRY_SECONDS = 5.0
commands = typer.Typer(help="Publish each tenant's log, pseudonymised, to Kafka.", no_args_is_help=True)


@commands.command("run")
def gateway_run(
    interval: Annotated[float, typer.Option(help="Seconds to wait when every log is published")] = 1.0,
    once: Annotated[bool, typer.Option("--once", help="Publish what is there and exit")] = False,
    batch: Annotated[int, typer.Option(min=1, max=10_000, help="Log events per delivery")] = 1000,
    health_port: HealthPort = None,
) -> None:
    """Publish this replica's share of the tenants' logs to kentra.events.v1, in order; the position moves
    only once acknowledged.

    Replicas share the tenants through leases, fenced: a replica that lost a tenant's lease (paused
    past it) sends nothing more for it, and the one that takes a killed replica's tenant over starts
    after what that one had sent (read back from the tenant's partition), so nothing goes twice.

    Signed audit checkpoints go to kentra.checkpoints.v1. Without KENTRA_KAFKA_BOOTSTRAP_SERVERS the
    envelopes go straight to the regional roll-up in process, and checkpoints stay unpublished. A
    broker that is away, at start or later, is waited for: nothing moves until it acknowledges.
    """
    from kafka.errors import KafkaError

    from gateways.observability import Heartbeat

    stopping = stop_on_signals()
    with platform() as kentra:
        servers = kentra.settings.kafka_bootstrap_servers
        topic = kentra.settings.kafka_topic
        heartbeat = Heartbeat()
        link = _Link(kentra, batch)
        broker = {"broker": broker_check(servers)} if servers else {}
        metrics = observe_worker(kentra, health_port, heartbeat, broker)
        shard = Shard(
            kentra,
            "gateway",
            stopping,
            interval=interval,
            on_taken=lambda t, _: link.gateway().take_over_lease(t, shard.leases),
        )
        worker_log.info(
            "sharing %d tenants, published to %s", len(shard.tenant_ids), servers or "the in-process roll-up"
        )
        try:
            while not stopping.is_set():
                heartbeat.beat()
                try:
                    published = link.publish(shard)
                except KafkaError as error:  # the broker is away: nothing moved, try again shortly
                    metrics.delivery_errors.labels(topic).inc()
                    worker_log.warning("broker unavailable (%s); retrying", type(error).__name__)
                    link.disconnect()  # start afresh rather than trust a producer in doubt
                    shard.again()
                    stopping.wait(min(interval, BROKER_RETRY_SECONDS))
                    continue
                if once and published == 0 and shard.settled():
                    break
                if published:
                    shard.again()
                else:
                    shard.wait()
        finally:
            shard.close()
            link.disconnect()


class _Link:
    """The gateway and sinks in use; dropped and made anew after a broker error."""

    def __init__(self, kentra: Kentra, batch: int) -> None:
        self.kentra = kentra
        self.batch = batch
        self.current: dict[str, Any] = {}

    def gateway(self) -> Gateway:
        from gateways.kafka.gateway import DirectSink, Gateway, KafkaSink

        kentra, current = self.kentra, self.current
        if "gateway" not in current:
            if kentra.settings.kafka_bootstrap_servers:
                topic = kentra.settings.kafka_topic
                current["sinks"] = [
                    KafkaSink(kentra.kafka_producer(), topic=topic, reader=kentra.kafka_reader()),
                    KafkaSink(kentra.kafka_producer(), topic=kentra.settings.kafka_checkpoint_topic),
                ]
                current["gateway"] = Gateway(kentra, current["sinks"][0], batch=self.batch)
            else:
                current["sinks"] = []
                current["gateway"] = Gateway(kentra, DirectSink(kentra), batch=self.batch)
        gateway: Gateway = current["gateway"]
        return gateway

    def publish(self, shard: Shard) -> int:
        """One batch of each tenant to look at, and its checkpoints, while its lease holds."""
        from gateways.kafka.checkpoints import publish_checkpoints

        published = 0
        for tid in shard.visit():
            if not shard.holds(tid):  # lost, or about to be: the next holder's now
                continue
            published += self.gateway().publish(tid, fence=shard.fence(tid))
            if self.current["sinks"] and shard.holds(tid):
                published += publish_checkpoints(self.kentra.audit_chain(tid), self.current["sinks"][1])
        return published

    def disconnect(self) -> None:
        for sink in self.current.pop("sinks", []):
            sink.close()
        self.current.pop("gateway", None)


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
