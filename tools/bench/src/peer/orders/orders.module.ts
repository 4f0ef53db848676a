import { Module } from '@nestjs/common';
import { ClientsModule } from '@nestjs/microservices';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PEER_KAFKA, peerKafkaProducer, peerTypeOrm } from '../peer-app';
import { PeerOrdersController } from './orders.controller';
import { CreatePeerOrders1733500000000, PeerOrderEntity, PeerOrderLineEntity } from './orders.schema';

@Module({
  imports: [
    TypeOrmModule.forRoot(peerTypeOrm([PeerOrderEntity, PeerOrderLineEntity], [CreatePeerOrders1733500000000])),
    ClientsModule.register([{ name: PEER_KAFKA, ...peerKafkaProducer() }]),
  ],
  controllers: [PeerOrdersController],
})
export class PeerOrdersModule {}
