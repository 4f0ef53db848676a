import { UseFilters } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { EnvelopeOf, EventContract } from '@relay/contracts';
import { z } from 'zod';
import { ConsumedBatchContext, ConsumedEventContext } from './consumed-event.context';
import { EventErrorPassthroughFilter } from './event-error-passthrough.filter';

/** The handler's `Class.method`, kept with it so that a start-up refusal can name it (subscription.checker.ts). */
export const HANDLER_NAME_EXTRA = 'relayHandler';

function handlerName(target: object, propertyKey: string | symbol): string {
  return `${target.constructor.name}.${String(propertyKey)}`;
}

type EventHandlerMethod<C> = (event: EnvelopeOf<C>, context: ConsumedEventContext) => Promise<void> | void;

/**
 * Marks a controller method as the handler of one event contract. The method's parameter types
 * are checked against the contract at compile time; at run time this is Nest's `@EventPattern`
 * with the contract's pattern (`type.vN`), served by EventConsumerServer. Use `@Payload()` and
 * `@Ctx()` on the parameters as with any Nest event handler. Errors reach the consumer's failure
 * policy unchanged (see EventErrorPassthroughFilter).
 */
export function OnEvent<C extends EventContract<string, number, z.ZodType>>(contract: C) {
  const eventPattern = EventPattern as (pattern: string, extras: Record<string, unknown>) => MethodDecorator;
  return <M extends EventHandlerMethod<C>>(target: object, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<M>): void => {
    eventPattern(contract.pattern, { [HANDLER_NAME_EXTRA]: handlerName(target, propertyKey) })(target, propertyKey, descriptor);
    UseFilters(new EventErrorPassthroughFilter())(target, propertyKey, descriptor);
  };
}

/** Marks a handler registered with OnEvents: the consumer passes it runs of events, not one event. */
export const BATCH_HANDLER_EXTRA = 'relayBatch';

type EventBatchHandlerMethod<C> = (events: EnvelopeOf<C>[], context: ConsumedBatchContext) => Promise<void> | void;

/**
 * Marks a controller method as the handler of a run of events of one or more contracts. The
 * consumer passes each run of consecutive new events of those contracts in a chunk (in partition
 * order; duplicates and other events already left out) with one transaction for all of them, so the
 * handler can read and lock what the whole run needs in one query and write its effects with
 * multi-row statements. After a failure the consumer retries one event at a time, and the handler
 * then gets runs of one. Lock rows in a fixed order (sorted keys) so concurrent runs never deadlock.
 */
export function OnEvents<const Cs extends readonly EventContract<string, number, z.ZodType>[]>(...contracts: Cs) {
  const eventPattern = EventPattern as (patterns: string[], extras: Record<string, unknown>) => MethodDecorator;
  return <M extends EventBatchHandlerMethod<Cs[number]>>(target: object, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<M>): void => {
    eventPattern(
      contracts.map((contract) => contract.pattern),
      { [BATCH_HANDLER_EXTRA]: true, [HANDLER_NAME_EXTRA]: handlerName(target, propertyKey) },
    )(target, propertyKey, descriptor);
    UseFilters(new EventErrorPassthroughFilter())(target, propertyKey, descriptor);
  };
}
