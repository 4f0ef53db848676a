import { INestApplication } from '@nestjs/common';
import { HttpExceptionFilter } from './http-exception.filter';
import { createValidationPipe } from './validation.pipe';

/** The HTTP conventions every service shares: strict validation, one error shape, clean shutdown. */
export function configureHttpApp(app: INestApplication): void {
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpExceptionFilter());
  app.enableShutdownHooks();
}
