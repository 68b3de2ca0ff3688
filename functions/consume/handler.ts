import type { MSKEvent } from 'aws-lambda';

/** Placeholder until the consume function lands: fails the batch so the mapping acknowledges nothing. */
export const handler = async (event: MSKEvent): Promise<never> => {
  throw new Error(
    `consume is not implemented yet; ${Object.keys(event.records).length} partitions left unacknowledged`,
  );
};
