import { bootPeerApp } from '../peer-app';
import { PeerInventoryModule } from './inventory.module';

void bootPeerApp('peer-inventory', PeerInventoryModule, { consumer: true });
