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
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { ApiErrorDto, Caller, customerScope, mayActFor, Principal } from '@relay/service-runtime';
import { PlaceOrderDto } from './place-order/place-order.dto';
import { PlaceOrderUseCase } from './place-order/place-order.use-case';
import { orderCustomer } from './place-order/order-customer';
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

const notFound = (id: string) => new NotFoundException({ code: 'ORDERS.NOT_FOUND', message: `order ${id} does not exist` });

/**
 * A customer's token sees and acts on its own orders only; another customer's order answers 404,
 * exactly as an order that does not exist (so order ids cannot be probed). An admin's token sees all.
 */
@ApiTags('orders')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ApiErrorDto, description: 'No token, or a refused one (AUTH.TOKEN_MISSING, AUTH.TOKEN_INVALID, AUTH.TOKEN_EXPIRED).' })
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
    @Caller() caller: Principal,
    @Body() body: PlaceOrderDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) response: HeaderSetter,
  ): Promise<OrderResponse> {
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,200}$/.test(idempotencyKey)) {
      throw invalid('Idempotency-Key', 'must be 1-200 visible ASCII characters');
    }
    const customer = orderCustomer(caller, body.customerId);
    if (!customer.ok) throw invalid('customerId', customer.problem);
    const outcome = await this.placeOrder.execute({ ...body, customerId: customer.customerId }, idempotencyKey);
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

  /** Newest first; `cursor` comes from the previous page's `nextCursor`. A customer's token lists its own orders, whatever `customerId` says. */
  @Get()
  @ApiOkResponse({ type: OrderPageResponse })
  async list(@Caller() caller: Principal, @Query() query: ListOrdersQuery): Promise<OrderPageResponse> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && !after) throw invalid('cursor', 'is not a cursor returned by this API');
    const page = await this.listOrders.execute({ status: query.status, customerId: customerScope(caller, query.customerId), after, limit: query.limit ?? 20 });
    return { orders: page.orders.map((order) => toOrderResponse(order)), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOkResponse({ type: OrderResponse, description: 'The order with its status history.' })
  @ApiNotFoundResponse({ type: ApiErrorDto })
  async get(@Caller() caller: Principal, @Param('id', orderIdPipe) id: string): Promise<OrderResponse> {
    const found = await this.getOrder.execute(id);
    if (!found || !mayActFor(caller, found.order.customerId)) throw notFound(id);
    return toOrderResponse(found.order, found.history);
  }

  /** Cancels an order that has not shipped; a second cancel answers 200 with the order unchanged. */
  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOkResponse({ type: OrderResponse })
  @ApiNotFoundResponse({ type: ApiErrorDto })
  @ApiConflictResponse({ type: ApiErrorDto, description: 'The order was rejected: there is nothing to cancel.' })
  async cancel(@Caller() caller: Principal, @Param('id', orderIdPipe) id: string, @Body() body: CancelOrderDto): Promise<OrderResponse> {
    const outcome = await this.cancelOrder.execute(id, body.reason ?? 'cancelled by the customer', (order) => mayActFor(caller, order.customerId));
    switch (outcome.kind) {
      case 'not-found':
        throw notFound(id);
      case 'refused':
        throw new ConflictException({ code: outcome.code, message: outcome.message, details: [{ field: 'status', problem: `order is ${outcome.order.status}` }] });
      default:
        return toOrderResponse(outcome.order);
    }
  }
}
