import { bench, describe } from "vitest";
import { openProjectDatabase } from "@/tests/msw/emulator-database";

/*
 * What a Supabase-mode test pays for its emulated project's database
 * (tests/msw/emulator-database.ts). Run: npm run bench:emulator. The one-off
 * build of the migrated template (initdb + bootstrap + migrations, then kept
 * in the temp folder by a hash of the SQL) is not repeated here.
 */
describe("emulated project database", () => {
  bench(
    "a new PGlite from the migrated template (first project in a worker)",
    async () => {
      const project = await openProjectDatabase();
      await project.db.close();
    },
    { iterations: 3, time: 0, warmupIterations: 1 },
  );

  bench(
    "a project's database given back (reset to the template) and taken again",
    async () => {
      const project = await openProjectDatabase();
      await project.db.query("insert into auth.users (email, encrypted_password) values ($1, 'x')", [`${crypto.randomUUID()}@example.com`]);
      await project.release();
    },
    { iterations: 10, time: 0, warmupIterations: 2 },
  );
});
