export type ReplicateLimits = { windowMs: number; creates: number; reads: number };
export type Refusal = { status: 429; headers: { "retry-after": string }; body: { detail: string } };

export declare const REPLICATE_LIMITS: Readonly<ReplicateLimits>;
export declare function createRateLimiter(
  limits?: ReplicateLimits | null,
  now?: () => number,
): { limits: ReplicateLimits | null; take(kind: "creates" | "reads"): Refusal | null };
