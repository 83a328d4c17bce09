// Shared test setup: jest-dom style matchers are not used; tests assert with plain expect.
process.env.NEXT_TELEMETRY_DISABLED = "1";
