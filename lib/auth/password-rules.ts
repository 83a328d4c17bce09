/**
 * Password limits as plain values: credentials-schema.ts builds its zod schemas
 * from these, and the sign-up form reads them without pulling zod into the
 * browser bundle.
 */
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 200;
