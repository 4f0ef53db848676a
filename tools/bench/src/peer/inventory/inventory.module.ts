import { Module } from '@nestjs/common';
import { ClientsModule } from '@nestjs/microservices';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PEER_KAFKA, peerKafkaProducer, peerTypeOrm } from '../peer-app';
import { CreatePeerStock1733500000100, PeerReservationEntity, PeerStockItemEntity } from './inventory.schema';
import { PeerOrderEventsController } from './order-events.controller';

@Module({
  imports: [
    TypeOrmModule.forRoot(peerTypeOrm([PeerStockItemEntity, PeerReservationEntity], [CreatePeerStock1733500000100])),
    ClientsModule.register([{ name: PEER_KAFKA, ...peerKafkaProducer() }]),
  ],
  controllers: [PeerOrderEventsController],
})
export class PeerInventoryModule {}
