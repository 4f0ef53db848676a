import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Get,
  Headers,
  HttpCode,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Res,
  ServiceUnavailableException,
  UnprocessableEntityException,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { ApiErrorDto } from '@relay/service-runtime';
import { PlaceOrderDto } from './place-order/place-order.dto';
import { PlaceOrderUseCase } from './place-order/place-order.use-case';
import { GetOrderUseCase } from './get-order/get-order.use-case';
import { CancelOrderDto } from './cancel-order/cancel-order.dto';
import { CancelOrderUseCase } from './cancel-order/cancel-order.use-case';
import { ListOrdersQuery } from './list-orders/list-orders.query';
import { ListOrdersUseCase } from './list-orders/list-orders.use-case';
import { decodeCursor } from './list-orders/order-cursor';
import { OrderPageResponse, OrderResponse, toOrderResponse } from './order.response';

const invalid = (field: string, problem: string) =>
  new BadRequestException({ code: 'VALIDATION_FAILED', message: `${field}: ${problem}`, details: [{ field, problem }] });

const orderIdPipe = new ParseUUIDPipe({ exceptionFactory: () => invalid('id', 'must be a UUID') });

interface HeaderSetter {
  header(name: string, value: string): unknown;
}

@ApiTags('orders')
@ApiBadRequestResponse({ type: ApiErrorDto, description: 'Invalid input; `details` names each wrong field.' })
@Controller('orders')
export class OrdersController {
  constructor(
    private readonly placeOrder: PlaceOrderUseCase,
    private readonly getOrder: GetOrderUseCase,
    private readonly cancelOrder: CancelOrderUseCase,
    private readonly listOrders: ListOrdersUseCase,
  ) {}

  /**
   * 201 once the order and its event are committed; the event is published asynchronously.
   * With an Idempotency-Key header, a retry returns the same order (201, `Idempotent-Replayed:
   * true`) and creates nothing; the same key with another body is a 422. A 503 (with
   * Retry-After) means nothing was saved: the database is unreachable, or too many orders are
   * already waiting to be saved.
   */
  @Post()
  @HttpCode(201)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Makes retries safe: the same key returns the same order.' })
  @ApiCreatedResponse({ type: OrderResponse })
  @ApiUnprocessableEntityResponse({ type: ApiErrorDto, description: 'The Idempotency-Key was used with another body.' })
  @ApiServiceUnavailableResponse({ type: ApiErrorDto, description: 'Nothing was saved (DATABASE_UNAVAILABLE or SERVICE_OVERLOADED): retry after Retry-After seconds, with the same Idempotency-Key.' })
  async place(
    @Body() body: PlaceOrderDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) response: HeaderSetter,
  ): Promise<OrderResponse> {
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,200}$/.test(idempotencyKey)) {
      throw invalid('Idempotency-Key', 'must be 1-200 visible ASCII characters');
    }
    const outcome = await this.placeOrder.execute(body, idempotencyKey);
    switch (outcome.kind) {
      case 'created':
        return toOrderResponse(outcome.order);
      case 'replayed':
        response.header('Idempotent-Replayed', 'true');
        return toOrderResponse(outcome.order);
      case 'key-reused':
        throw new UnprocessableEntityException({
          code: 'ORDERS.IDEMPOTENCY_KEY_REUSED',
          message: 'this Idempotency-Key was used for a request with a different body',
        });
      case 'rejected': {
        const { code, message, field } = outcome.rejection;
        throw new BadRequestException({ code, message, details: [{ field, problem: message }] });
      }
      case 'overloaded':
        response.header('Retry-After', String(outcome.retryAfterSeconds));
        throw new ServiceUnavailableException({
          code: 'SERVICE_OVERLOADED',
          message: 'too many orders are waiting to be saved; nothing was saved, retry shortly',
        });
    }
  }

  /** Newest first; `cursor` comes from the previous page's `nextCursor`. */
  @Get()
  @ApiOkResponse({ type: OrderPageResponse })
  async list(@Query() query: ListOrdersQuery): Promise<OrderPageResponse> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && !after) throw invalid('cursor', 'is not a cursor returned by this API');
    const page = await this.listOrders.execute({ status: query.status, customerId: query.customerId, after, limit: query.limit ?? 20 });
    return { orders: page.orders.map((order) => toOrderResponse(order)), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOkResponse({ type: OrderResponse, description: 'The order with its status history.' })
  @ApiNotFoundResponse({ type: ApiErrorDto })
  async get(@Param('id', orderIdPipe) id: string): Promise<OrderResponse> {
    const found = await this.getOrder.execute(id);
    if (!found) throw new NotFoundException({ code: 'ORDERS.NOT_FOUND', message: `order ${id} does not exist` });
    return toOrderResponse(found.order, found.history);
  }

  /** Cancels an order that has not shipped; a second cancel answers 200 with the order unchanged. */
  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOkResponse({ type: OrderResponse })
  @ApiNotFoundResponse({ type: ApiErrorDto })
  @ApiConflictResponse({ type: ApiErrorDto, description: 'The order was rejected: there is nothing to cancel.' })
  async cancel(@Param('id', orderIdPipe) id: string, @Body() body: CancelOrderDto): Promise<OrderResponse> {
    const outcome = await this.cancelOrder.execute(id, body.reason ?? 'cancelled by the customer');
    switch (outcome.kind) {
      case 'not-found':
        throw new NotFoundException({ code: 'ORDERS.NOT_FOUND', message: `order ${id} does not exist` });
      case 'refused':
        throw new ConflictException({ code: outcome.code, message: outcome.message, details: [{ field: 'status', problem: `order is ${outcome.order.status}` }] });
      default:
        return toOrderResponse(outcome.order);
    }
  }
}
