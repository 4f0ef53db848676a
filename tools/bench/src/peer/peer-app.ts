/**
 * The peer: Relay's three services the way a NestJS user builds them today, as a bench baseline
 * (issue 11, "a peer in the same run"). Orders saves with TypeORM and then `ClientKafka.emit`s;
 * inventory and delivery are `@EventPattern` handlers on the stock `ServerKafka` (kafkajs
 * `eachMessage`, one message at a time, auto-commit after each batch) writing their rows with
 * TypeORM. No outbox, no inbox, no dead letters.
 *
 * What the peer does NOT guarantee, and Relay does (docs/guarantees.md):
 * - An order saved while Kafka is down, or before the producer's send is acknowledged when the
 *   process dies, is never published: `emit()` is fire-and-forget and its error reaches nobody.
 * - A consumer that crashes after its transaction commits but before kafkajs commits the offset
 *   applies the message again on restart (a duplicate reservation is a unique violation, see below).
 * - A handler that throws (a bad message, a duplicate, a database outage) makes kafkajs retry the
 *   same offset forever: the partition stops; nothing is parked anywhere, nothing is replayable.
 * - An event that no handler matches is logged and its offset committed: silently lost.
 * - Inventory's stock event is emitted after its commit, so a crash in between loses it too.
 *
 * Each app runs as its own Node process from a SWC build of this folder (see phases/peer.ts), with
 * the same Node flags as Relay's services, and reads its settings from the environment the bench
 * gives every service: PORT, KAFKA_BROKERS, KAFKA_GROUP_ID, KAFKA_CLIENT_ID, DATABASE_URL and
 * DATABASE_SCHEMA.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { KafkaOptions, MicroserviceOptions, Transport } from '@nestjs/microservices';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { TypeOrmModuleOptions } from '@nestjs/typeorm';
import { PeerAppName } from './peer-contract';

/** Injection token of the `ClientKafka` that orders and inventory emit with. */
export const PEER_KAFKA = 'PEER_KAFKA';

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
}

/** TypeORM as a Nest user sets it up: one pool of 10 (TypeORM's and Relay's default), migrations at boot. */
export function peerTypeOrm(entities: TypeOrmModuleOptions['entities'], migrations: Array<new () => unknown>): TypeOrmModuleOptions {
  return {
    type: 'postgres',
    url: env('DATABASE_URL'),
    schema: env('DATABASE_SCHEMA'),
    entities,
    migrations,
    migrationsRun: true,
    synchronize: false,
    // The migrations' unqualified SQL lands in the app's schema, as the entities do.
    extra: { max: 10, options: `-c search_path=${env('DATABASE_SCHEMA')}`, application_name: process.env.KAFKA_CLIENT_ID ?? 'relay-peer' },
  };
}

/** The kafkajs client settings shared by `ServerKafka` and `ClientKafka`. */
export function peerKafkaClient(): NonNullable<KafkaOptions['options']>['client'] {
  return { clientId: env('KAFKA_CLIENT_ID'), brokers: env('KAFKA_BROKERS').split(','), ...peerKafkaLogin() };
}

/**
 * The login the bench gives the peer (KAFKA_SECURITY_PROTOCOL & co), so both sides pay for TLS and
 * SCRAM alike. Read here rather than through service-runtime: the peer is built alone, without the
 * repository's path aliases, and is deliberately plain NestJS.
 */
function peerKafkaLogin(): { ssl?: { ca: string[] }; sasl?: { mechanism: 'scram-sha-512'; username: string; password: string } } {
  if (process.env.KAFKA_SECURITY_PROTOCOL === 'plaintext') return {};
  return {
    ssl: { ca: [readFileSync(env('KAFKA_SSL_CA_FILE'), 'utf8')] },
    sasl: { mechanism: 'scram-sha-512', username: env('KAFKA_USERNAME'), password: env('KAFKA_PASSWORD') },
  };
}

/**
 * Emits only: without `producerOnlyMode` the client would also join a reply group it never uses.
 * Everything else is kafkajs's defaults (acks from all in-sync replicas, no idempotent producer).
 */
export function peerKafkaProducer(): KafkaOptions {
  return { transport: Transport.KAFKA, options: { client: peerKafkaClient(), producerOnlyMode: true } };
}

/**
 * Boots one peer app on Fastify: the HTTP server on PORT and, for a consumer, the stock
 * `ServerKafka` (default `run` options: one partition at a time, `eachMessage`, auto-commit).
 */
export async function bootPeerApp(name: PeerAppName, module: Type<unknown>, options: { consumer: boolean }): Promise<INestApplication> {
  const app = await NestFactory.create(module, new FastifyAdapter(), { logger: ['error', 'warn'] });
  if (options.consumer) {
    app.connectMicroservice<MicroserviceOptions>({
      transport: Transport.KAFKA,
      options: {
        client: peerKafkaClient(),
        // Nest appends "-server" to the group id by default; the bench watches the group it names.
        postfixId: '',
        consumer: { groupId: env('KAFKA_GROUP_ID') },
      },
    });
    await app.startAllMicroservices();
  }
  app.enableShutdownHooks();
  const port = Number(env('PORT'));
  await app.listen(port, '127.0.0.1');
  // The bench waits for this line (Nest's own log is limited to warnings and errors).
  process.stdout.write(`${name} listening on http://127.0.0.1:${port}\n`);
  return app;
}
