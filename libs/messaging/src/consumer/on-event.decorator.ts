import { UseFilters } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { EnvelopeOf, EventContract } from '@relay/contracts';
import { z } from 'zod';
import { ConsumedEventContext } from './consumed-event.context';
import { EventErrorPassthroughFilter } from './event-error-passthrough.filter';

type EventHandlerMethod<C> = (event: EnvelopeOf<C>, context: ConsumedEventContext) => Promise<void> | void;

/**
 * Marks a controller method as the handler of one event contract. The method's parameter types
 * are checked against the contract at compile time; at run time this is Nest's `@EventPattern`
 * with the contract's pattern (`type.vN`), served by EventConsumerServer. Use `@Payload()` and
 * `@Ctx()` on the parameters as with any Nest event handler. Errors reach the consumer's failure
 * policy unchanged (see EventErrorPassthroughFilter).
 */
export function OnEvent<C extends EventContract<string, number, z.ZodType>>(contract: C) {
  const eventPattern = EventPattern as (pattern: string) => MethodDecorator;
  return <M extends EventHandlerMethod<C>>(target: object, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<M>): void => {
    eventPattern(contract.pattern)(target, propertyKey, descriptor);
    UseFilters(new EventErrorPassthroughFilter())(target, propertyKey, descriptor);
  };
}
