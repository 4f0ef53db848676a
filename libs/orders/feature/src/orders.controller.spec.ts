import { ServiceUnavailableException } from '@nestjs/common';
import { OrdersController } from './orders.controller';
import { PlaceOrderDto } from './place-order/place-order.dto';
import { PlaceOrderOutcome, PlaceOrderUseCase } from './place-order/place-order.use-case';

describe('OrdersController POST /orders', () => {
  function controllerAnswering(outcome: PlaceOrderOutcome): OrdersController {
    const placeOrder = { execute: async () => outcome } as unknown as PlaceOrderUseCase;
    return new OrdersController(placeOrder, undefined as never, undefined as never, undefined as never);
  }
  const body = { customerId: 'c-1', items: [{ sku: 'SKU-1', quantity: 1 }] } as PlaceOrderDto;

  it('answers an overloaded intake with 503 SERVICE_OVERLOADED and Retry-After: nothing was saved', async () => {
    const headers: Record<string, string> = {};
    const response = { header: (name: string, value: string) => void (headers[name] = value) };
    const answer = controllerAnswering({ kind: 'overloaded', retryAfterSeconds: 1 }).place({ subject: 'c-1', roles: [] }, body, undefined, response);

    await expect(answer).rejects.toBeInstanceOf(ServiceUnavailableException);
    await expect(answer).rejects.toMatchObject({ response: { code: 'SERVICE_OVERLOADED' } });
    expect(headers).toEqual({ 'Retry-After': '1' });
  });
});
