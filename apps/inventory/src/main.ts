import 'reflect-metadata';
import { runEventService } from '@relay/messaging';
import { inventoryService } from './app.module';
import { readInventoryConfig } from './config/inventory.config';

runEventService(inventoryService, readInventoryConfig);
