// The operator tools hold the reconciliation audit and the dead-letter tooling this suite uses as
// its oracle, exactly as an operator would run them.
export { gapExamples, listDeadLetters, replayDeadLetters, runAudit } from '@relay/ops';
export type { AuditOptions, AuditReport, CheckResult, DeadLetter, Finding } from '@relay/ops';
