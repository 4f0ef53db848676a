import 'reflect-metadata';
import { runEventService } from '@relay/messaging';
import { deliveryService } from './app.module';
import { readDeliveryConfig } from './config/delivery.config';

runEventService(deliveryService, readDeliveryConfig);
