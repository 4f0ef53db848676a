export * from './orders.module';
export * from './place-order/place-order.dto';
export * from './place-order/place-order.use-case';
export * from './get-order/get-order.use-case';
export * from './order.response';
