import 'reflect-metadata';
import { runEventService } from '@relay/service-host';
import { inventoryService } from './inventory.service';

runEventService(inventoryService);
