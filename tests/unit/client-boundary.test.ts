import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Walks the static import graph from every "use client" module and checks that
 * nothing secret can be bundled for the browser: no service-role client, no
 * composition root, no server env parsing, no `process.env` read of a variable
 * Next would not inline publicly. Nor zod (~32 kB gzip) or Ajv (~35 kB): the
 * server validates with them, the browser checks the same rules from plain data
 * (lib/models/input-check.ts over the model's fields, lib/auth/password-rules.ts). A
 * "use server" module is a boundary (the client gets a reference to the action,
 * not its code); `import type` is erased.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const FORBIDDEN = ["lib/supabase/admin.ts", "lib/server-context.ts", "lib/env.ts"];
const FORBIDDEN_PACKAGES = ["server-only", "zod", "ajv"];
const EXTENSIONS = ["", ".ts", ".tsx", "/index.ts", "/index.tsx"];

type Module = { file: string; source: string; directive: "use client" | "use server" | null };

function load(file: string): Module {
  const source = readFileSync(file, "utf8");
  // A directive is the first statement: only comments and whitespace may precede it.
  const body = source.replace(/^(?:\s+|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)*/, "");
  const directive = /^["'](use client|use server)["']/.exec(body)?.[1] as Module["directive"];
  return { file, source, directive: directive ?? null };
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [full] : [];
  });
}

/** Value imports only: `import type` / `export type` never reach a bundle. */
function importSpecifiers(source: string): string[] {
  const code = withoutComments(source);
  const found: string[] = [];
  const patterns = [
    /^\s*import\s+(?!type\s)(?:[^'";]*?\s+from\s+)?["']([^"']+)["']/gm,
    /^\s*export\s+(?!type\s)[^'";]*?\s+from\s+["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of code.matchAll(pattern)) found.push(match[1]);
  return found;
}

function resolve(specifier: string, from: string): string | null {
  let base: string;
  if (specifier.startsWith("@/")) base = path.join(ROOT, specifier.slice(2));
  else if (specifier.startsWith(".")) base = path.resolve(path.dirname(from), specifier);
  else return null; // a package: not app code
  for (const extension of EXTENSIONS) {
    const candidate = base + extension;
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  throw new Error(`Cannot resolve "${specifier}" imported by ${path.relative(ROOT, from)}`);
}

function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

/**
 * Reads of `process.env` other than NEXT_PUBLIC_* (which Next inlines for the
 * browser) and NODE_ENV (inlined, not a secret); passing the whole object or
 * indexing it dynamically counts too.
 */
function secretEnvReads(source: string): string[] {
  const names = [...withoutComments(source).matchAll(/process\.env(?:\.([A-Za-z_$][\w$]*))?/g)].map((match) => match[1] ?? "");
  return names.filter((name) => !name.startsWith("NEXT_PUBLIC_") && name !== "NODE_ENV").map((name) => name || "(the whole object)");
}

/** Every problem reachable from `start`, each with the import chain that reaches it. */
function boundaryProblems(start: string): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const walk = (file: string, chain: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    const loaded = load(file);
    const here = [...chain, path.relative(ROOT, file)];
    if (chain.length > 0 && loaded.directive === "use server") return;
    if (FORBIDDEN.includes(path.relative(ROOT, file))) problems.push(`reaches ${here.at(-1)}: ${here.join(" → ")}`);
    for (const name of secretEnvReads(loaded.source)) problems.push(`reads process.env ${name}: ${here.join(" → ")}`);
    for (const specifier of importSpecifiers(loaded.source)) {
      const banned = FORBIDDEN_PACKAGES.find((name) => specifier === name || specifier.startsWith(`${name}/`));
      if (banned) problems.push(`imports "${banned}": ${here.join(" → ")}`);
      const target = resolve(specifier, file);
      if (target) walk(target, here);
    }
  };
  walk(start, []);
  return problems;
}

const clientModules = ["app", "components", "hooks"]
  .flatMap((dir) => sourceFiles(path.join(ROOT, dir)))
  .filter((file) => load(file).directive === "use client");

describe("client bundles", () => {
  it("finds the client components to check", () => {
    const relative = clientModules.map((file) => path.relative(ROOT, file));
    expect(relative).toContain("components/auth/auth-form.tsx");
    expect(relative).toContain("components/auth/magic-link-form.tsx");
  });

  it.each(clientModules.map((file) => [path.relative(ROOT, file), file]))(
    "%s reaches no server secret, no zod and no ajv",
    (_name, file) => {
      expect(boundaryProblems(file)).toEqual([]);
    },
  );

  it("would notice a server module (the scanner is not vacuous)", () => {
    const problems = boundaryProblems(path.join(ROOT, "lib/supabase/supabase-backend.ts"));
    expect(problems.some((problem) => problem.startsWith("reaches lib/supabase/admin.ts"))).toBe(true);
    expect(problems.some((problem) => problem.startsWith('imports "server-only"'))).toBe(true);
    expect(boundaryProblems(path.join(ROOT, "lib/server-context.ts")).some((p) => p.startsWith("reaches lib/env.ts"))).toBe(true);
    expect(boundaryProblems(path.join(ROOT, "lib/env.ts")).some((p) => p.startsWith("reads process.env"))).toBe(true);
    expect(boundaryProblems(path.join(ROOT, "app/api/replicate/schema.ts")).some((p) => p.startsWith('imports "zod"'))).toBe(true);
    expect(boundaryProblems(path.join(ROOT, "lib/models/input-validator.ts")).some((p) => p.startsWith('imports "ajv"'))).toBe(true);
    expect(boundaryProblems(path.join(ROOT, "lib/auth/credentials-schema.ts")).some((p) => p.startsWith('imports "zod"'))).toBe(true);
  });

  it("skips type-only imports and stops at server actions", () => {
    expect(importSpecifiers('import type { A } from "@/lib/env";\nimport { b } from "./b";')).toEqual(["./b"]);
    expect(importSpecifiers('export type { A } from "@/lib/env";\nexport { c } from "@/lib/c";')).toEqual(["@/lib/c"]);
    expect(boundaryProblems(path.join(ROOT, "components/auth/magic-link-form.tsx"))).toEqual([]);
  });
});
