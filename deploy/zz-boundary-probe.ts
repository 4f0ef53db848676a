import { OrdersModule } from '@relay/orders/feature';
export const x = OrdersModule;
