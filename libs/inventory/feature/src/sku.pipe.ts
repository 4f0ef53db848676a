import { BadRequestException, PipeTransform } from '@nestjs/common';

const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Rejects a malformed SKU in a path with a 400 naming the parameter. */
export const skuPipe: PipeTransform<string, string> = {
  transform(value: string) {
    if (SKU_PATTERN.test(value)) return value;
    const problem = 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit';
    throw new BadRequestException({ code: 'VALIDATION_FAILED', message: `sku: ${problem}`, details: [{ field: 'sku', problem }] });
  },
};
