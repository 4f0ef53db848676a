export * from './orders.module';
export * from './place-order/place-order.dto';
export * from './place-order/place-order.use-case';
export * from './get-order/get-order.use-case';
export * from './cancel-order/cancel-order.use-case';
export * from './list-orders/list-orders.use-case';
export * from './track-order-status/apply-order-fact.use-case';
export * from './order.response';
