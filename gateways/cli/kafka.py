"""`kentra kafka`: the topics as production runs them (issue 22, part 4)."""

from __future__ import annotations

from typing import Annotated

import typer

from gateways.cli.common import err, fail, out

commands = typer.Typer(help="Kafka: create the topics with their partitions and retention.", no_args_is_help=True)


@commands.command("init")
def kafka_init(
    check: Annotated[
        bool, typer.Option("--check", help="Change nothing: say what differs, exit 1 if anything does")
    ] = False,
) -> None:
    """Create kentra.events.v1 and kentra.checkpoints.v1, or bring them to the settings (idempotent).

    Partitions (KENTRA_KAFKA_PARTITIONS), replication factor (KENTRA_KAFKA_REPLICATION_FACTOR) and
    min.insync.replicas (KENTRA_KAFKA_MIN_INSYNC_REPLICAS) from the settings; seven days' retention
    on the events, none ever on the checkpoints. Partitions are added and configs set where they
    differ; a replication factor below the settings is reported and the exit is 1.
    """
    from kafka.errors import KafkaError
    from pydantic import ValidationError

    from gateways.kafka.topics import TopicSettings, TopicSettingsError, ensure_topics, topic_specs
    from infra.kafka import kafka_admin
    from infra.settings import SettingsError

    try:
        settings = TopicSettings.load()
        specs = topic_specs(
            events=settings.kafka_topic,
            checkpoints=settings.kafka_checkpoint_topic,
            partitions=settings.kafka_partitions,
            replication_factor=settings.kafka_replication_factor,
            min_insync_replicas=settings.kafka_min_insync_replicas,
        )
    except (SettingsError, TopicSettingsError) as error:
        fail(str(error))
    except ValidationError as error:
        first = error.errors()[0]
        fail(f"KENTRA_{str(first['loc'][0]).upper()}: {first['msg']}")
    servers = settings.kafka_bootstrap_servers
    if not servers:
        fail("no KENTRA_KAFKA_BOOTSTRAP_SERVERS: the topics live on the brokers it names")
    try:
        admin = kafka_admin(servers)
    except KafkaError as error:
        fail(f"cannot reach the brokers at {servers} ({type(error).__name__})", code=1)
    try:
        reports = ensure_topics(admin, specs, check_only=check)
    except KafkaError as error:
        fail(f"the brokers at {servers} refused: {error}", code=1)
    finally:
        admin.close()
    for report in reports:
        (out if report.ok else err).print(str(report), highlight=False, markup=False, soft_wrap=True)
    if not all(report.ok for report in reports):
        raise typer.Exit(1)
