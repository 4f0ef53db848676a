import { BadRequestException, Body, Controller, Get, HttpCode, NotFoundException, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { PlaceOrderDto } from './place-order/place-order.dto';
import { PlaceOrderUseCase } from './place-order/place-order.use-case';
import { GetOrderUseCase } from './get-order/get-order.use-case';
import { OrderResponse, toOrderResponse } from './order.response';

const orderIdPipe = new ParseUUIDPipe({
  exceptionFactory: () =>
    new BadRequestException({ code: 'VALIDATION_FAILED', message: 'id: must be a UUID', details: [{ field: 'id', problem: 'must be a UUID' }] }),
});

@Controller('orders')
export class OrdersController {
  constructor(
    private readonly placeOrder: PlaceOrderUseCase,
    private readonly getOrder: GetOrderUseCase,
  ) {}

  /** 201 once the order and its event are committed; the event is published asynchronously. */
  @Post()
  @HttpCode(201)
  async place(@Body() body: PlaceOrderDto): Promise<OrderResponse> {
    const result = await this.placeOrder.execute(body);
    if (!result.ok) {
      const { code, message, field } = result.rejection;
      throw new BadRequestException({ code, message, details: [{ field, problem: message }] });
    }
    return toOrderResponse(result.order);
  }

  @Get(':id')
  async get(@Param('id', orderIdPipe) id: string): Promise<OrderResponse> {
    const order = await this.getOrder.execute(id);
    if (!order) throw new NotFoundException({ code: 'ORDERS.NOT_FOUND', message: `order ${id} does not exist` });
    return toOrderResponse(order);
  }
}
