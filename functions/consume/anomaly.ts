/** Why a record was dead-lettered; the value of the `x-dlq-reason` header and of the metric dimension. */
export const ANOMALY_REASONS = ['MALFORMED', 'INVALID', 'DUPLICATE', 'OUT_OF_ORDER', 'GAP'] as const;

export type AnomalyReason = (typeof ANOMALY_REASONS)[number];

export interface Anomaly {
  readonly reason: AnomalyReason;
  /** A sentence a person can act on: what was seen, what was expected, what happened to the record. */
  readonly detail: string;
}
