import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { ApiErrorBody, ApiErrorDetail } from './api-error';

function flatten(errors: ValidationError[], parent = ''): ApiErrorDetail[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((problem) => ({ field, problem }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * Strict request validation: unknown fields are rejected, nothing is coerced ("2" is not a
 * quantity), and the 400 names each wrong field by its path (e.g. `items.0.quantity`).
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const details = flatten(errors);
      const body: Omit<ApiErrorBody, 'status'> = {
        code: 'VALIDATION_FAILED',
        message: details.map((detail) => `${detail.field}: ${detail.problem}`).join('; ') || 'request is invalid',
        details,
      };
      return new BadRequestException(body);
    },
  });
}
