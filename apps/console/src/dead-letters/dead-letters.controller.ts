import { BadRequestException, Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ADMIN_ROLE, RequireRole } from '@relay/service-runtime';
import { DeadLetter, listDeadLetters, purgeDeadLetters, PurgeResult, replayDeadLetters, ReplayResult, showDeadLetter } from '@relay/ops';
import { CONSOLE_CONFIG, ConsoleConfig } from '../config/console.config';
import { opsCall } from '../ops/ops-call';
import { DeadLetterSourceDto, ReplayRequestDto } from './dead-letter-request.dto';

/** A parked record as the page shows it: the provenance read out, the value as text. */
export type DeadLetterView = Omit<DeadLetter, 'rawHeaders' | 'value'> & { value: string | null };

const MAX_LISTED = 500;

const view = ({ rawHeaders: _raw, value, ...record }: DeadLetter): DeadLetterView => ({ ...record, value: value?.toString('utf8') ?? null });

function position(value: string): { partition: number; offset: string } {
  const match = /^(\d{1,9}):(\d{1,19})$/.exec(value);
  if (!match) throw new BadRequestException({ code: 'CONSOLE.BAD_REQUEST', message: `a record position is <partition>:<offset>, got "${value}"` });
  return { partition: Number(match[1]), offset: BigInt(match[2]).toString() };
}

/**
 * Dead letters through the ops library (the code behind `npm run ops -- dlq …`): list, show one,
 * replay some or all (produced back to the source topic, where the group applies each event once),
 * purge. Reads are GETs; what changes Kafka is a POST.
 */
// Operators only: the console reads every customer's orders and can replay and purge.
@RequireRole(ADMIN_ROLE)
@Controller('api/dead-letters')
export class DeadLettersController {
  constructor(@Inject(CONSOLE_CONFIG) private readonly config: ConsoleConfig) {}

  @Get()
  async list(@Query() source: DeadLetterSourceDto): Promise<{ dlqTopic: string; total: number; records: DeadLetterView[] }> {
    const list = await opsCall(() => listDeadLetters({ kafkaBrokers: this.config.KAFKA_BROKERS, ...source, limit: MAX_LISTED }));
    return { dlqTopic: list.dlqTopic, total: list.total, records: list.records.map(view) };
  }

  @Get(':position')
  async show(@Query() source: DeadLetterSourceDto, @Param('position') at: string): Promise<DeadLetterView> {
    return view(await opsCall(() => showDeadLetter({ kafkaBrokers: this.config.KAFKA_BROKERS, ...source, position: position(at) })));
  }

  @Post('replay')
  @HttpCode(200)
  async replay(@Body() request: ReplayRequestDto): Promise<ReplayResult> {
    if ((request.all === true) === (request.positions !== undefined && request.positions.length > 0)) {
      throw new BadRequestException({ code: 'CONSOLE.BAD_REQUEST', message: 'give either positions or all: true' });
    }
    return opsCall(() =>
      replayDeadLetters({
        kafkaBrokers: this.config.KAFKA_BROKERS,
        group: request.group,
        sourceTopic: request.sourceTopic,
        positions: request.all ? undefined : request.positions!.map(position),
        all: request.all === true,
      }),
    );
  }

  @Post('purge')
  @HttpCode(200)
  async purge(@Body() source: DeadLetterSourceDto): Promise<PurgeResult> {
    return opsCall(() => purgeDeadLetters({ kafkaBrokers: this.config.KAFKA_BROKERS, group: source.group, sourceTopic: source.sourceTopic }));
  }
}
