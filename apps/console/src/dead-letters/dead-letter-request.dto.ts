import { ArrayMaxSize, IsArray, IsBoolean, IsOptional, IsString, Matches } from 'class-validator';

const KAFKA_NAME = /^[A-Za-z0-9._-]{1,249}$/;

/** Which dead-letter topic: the group that parked the messages and the topic it consumed. */
export class DeadLetterSourceDto {
  @IsString()
  @Matches(KAFKA_NAME, { message: 'group must be a Kafka name' })
  group!: string;

  @IsString()
  @Matches(KAFKA_NAME, { message: 'sourceTopic must be a Kafka name' })
  sourceTopic!: string;
}

/** Replay: the records at `positions` (`<partition>:<offset>`), or `all` of them. */
export class ReplayRequestDto extends DeadLetterSourceDto {
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1_000)
  @Matches(/^\d{1,9}:\d{1,19}$/, { each: true, message: 'each position is <partition>:<offset>' })
  positions?: string[];

  @IsOptional()
  @IsBoolean()
  all?: boolean;
}
