// The outcome of reading a value: the value, or a reason phrased to follow the value's context.

export type Result<T> = { ok: true; value: T } | { ok: false; reason: string };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T>(reason: string): Result<T> => ({ ok: false, reason });
