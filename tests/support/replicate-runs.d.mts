import type { ModelFixture } from "@/tests/fixtures/replicate-models";

export type Run = { fixture: ModelFixture; input: Record<string, unknown>; seed: number; count: number };

export declare function seedFor(fixture: ModelFixture, input: Record<string, unknown> | undefined, random?: () => number): number;
export declare function stepsOf(fixture: ModelFixture, input: Record<string, unknown> | undefined): number;
export declare function tqdmLine(n: number, total: number): string;
export declare function logsFor(run: Run, shown: number[], done: boolean): string;
