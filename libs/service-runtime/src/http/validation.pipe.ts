import { ArgumentMetadata, BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { ApiErrorBody, ApiErrorDetail } from './api-error';
import { findUnsafeText } from './unsafe-text';

function flatten(errors: ValidationError[], parent = ''): ApiErrorDetail[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((problem) => ({ field, problem }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

function validationFailed(details: ApiErrorDetail[]): BadRequestException {
  const body: Omit<ApiErrorBody, 'status'> = {
    code: 'VALIDATION_FAILED',
    message: details.map((detail) => `${detail.field}: ${detail.problem}`).join('; ') || 'request is invalid',
    details,
  };
  return new BadRequestException(body);
}

/**
 * Strict request validation: text holding control characters or unpaired surrogates is refused
 * wherever it is (body, query, path), unknown fields are rejected, nothing is coerced ("2" is not a
 * quantity), and the 400 names each wrong field by its path (e.g. `items.0.quantity`).
 */
class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom') {
      const unsafe = findUnsafeText(value, metadata.data ?? '');
      if (unsafe.length > 0) throw validationFailed(unsafe);
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationFailed(flatten(errors)),
  });
}
