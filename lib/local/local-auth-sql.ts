/**
 * Local mode's own auth bookkeeping, beside the Supabase stand-in that
 * bootstrap-sql.ts creates: sign-in and sign-up attempts (lib/local/sign-in-throttle.ts),
 * the addresses each email signed in from, and what ends sessions early
 * (lib/local/session-revocation.ts). It is not part of the Supabase schema the
 * migrations describe, and the API roles cannot see it.
 *
 * Run on every start (lib/local/database.ts), not once like the bootstrap: each
 * statement is idempotent, so a data folder made by an older version gains the
 * tables it lacks and one that has them is left as it is.
 */
export const LOCAL_AUTH_SQL = /* sql */ `
create schema if not exists local_auth;
revoke all on schema local_auth from public;

create table if not exists local_auth.sign_in_attempts (
  id bigint generated always as identity primary key,
  key text not null,
  attempted_at timestamptz not null
);
create index if not exists sign_in_attempts_key_attempted_at_idx
  on local_auth.sign_in_attempts (key, attempted_at);

-- Where each email last signed in successfully from: those addresses are not
-- slowed down by other people's wrong guesses at the email.
create table if not exists local_auth.known_addresses (
  email text not null,
  address text not null,
  last_seen timestamptz not null,
  primary key (email, address)
);

-- Sessions signed out before they expire; a row can go once its token would have expired anyway.
create table if not exists local_auth.revoked_sessions (
  session_id uuid primary key,
  expires_at timestamptz not null
);
create index if not exists revoked_sessions_expires_at_idx on local_auth.revoked_sessions (expires_at);

-- A user's session generation: tokens carry the generation they were issued
-- in, and raising it (a password change) ends every session issued before.
create table if not exists local_auth.session_generations (
  user_id uuid primary key references auth.users (id) on delete cascade,
  generation integer not null
);

-- Password reset links (local mode writes them to the server's log): only a
-- hash of the token is kept, and a link works once, for an hour.
create table if not exists local_auth.password_resets (
  token_hash text primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  expires_at timestamptz not null
);
`;
