-- The app's own throttle for Supabase Auth (lib/auth/sign-in-throttle.ts):
-- attempts per email and per client address, kept here so every server
-- instance shares them. Only the service role reaches them (through the
-- functions below); people, signed in or not, see nothing.

create table if not exists public.auth_attempts (
  id bigint generated always as identity primary key,
  key text not null,
  attempted_at timestamptz not null
);
create index if not exists auth_attempts_key_attempted_at_idx on public.auth_attempts (key, attempted_at);

-- Where each email last signed in from: those addresses skip the email's delay.
create table if not exists public.auth_known_addresses (
  email text not null,
  address text not null,
  last_seen timestamptz not null,
  primary key (email, address)
);

alter table public.auth_attempts enable row level security;
alter table public.auth_known_addresses enable row level security;
-- No policies: nobody but the service role (which bypasses RLS) may touch them.
revoke all on table public.auth_attempts, public.auth_known_addresses from public, anon, authenticated;
grant select, insert, delete on table public.auth_attempts to service_role;
grant select, insert, update, delete on table public.auth_known_addresses to service_role;

-- Atomically per key: forget old attempts, read each key's recent ones (newest
-- first, not counting this one), record this one, and say whether the address
-- is known for the email. The advisory locks serialise callers on the same
-- key, so a burst is counted as it arrives.
create or replace function public.auth_throttle_record(
  p_keys text[],
  p_at timestamptz,
  p_since timestamptz,
  p_forget_before timestamptz,
  p_limit integer,
  p_email text default null,
  p_address text default null,
  p_known_since timestamptz default null
) returns jsonb
language plpgsql
set search_path = ''
as $$
declare
  k text;
  ids bigint[] := '{}';
  recent jsonb := '{}'::jsonb;
  new_id bigint;
  known boolean := false;
begin
  for k in select distinct unnest(p_keys) order by 1 loop
    perform pg_advisory_xact_lock(hashtextextended('auth_attempts:' || k, 0));
  end loop;
  delete from public.auth_attempts where attempted_at < p_forget_before;
  foreach k in array p_keys loop
    recent := recent || jsonb_build_object(k, coalesce((
      select jsonb_agg(floor(extract(epoch from r.attempted_at) * 1000)::bigint order by r.attempted_at desc)
      from (
        select a.attempted_at from public.auth_attempts a
        where a.key = k and a.attempted_at >= p_since
        order by a.attempted_at desc limit p_limit
      ) r
    ), '[]'::jsonb));
  end loop;
  foreach k in array p_keys loop
    insert into public.auth_attempts (key, attempted_at) values (k, p_at) returning id into new_id;
    ids := ids || new_id;
  end loop;
  if p_email is not null and p_address is not null then
    known := exists (
      select 1 from public.auth_known_addresses
      where email = p_email and address = p_address and last_seen >= p_known_since
    );
  end if;
  return jsonb_build_object('ids', to_jsonb(ids), 'recent', recent, 'known', known);
end;
$$;

create or replace function public.auth_throttle_forget(p_ids bigint[]) returns void
language sql
set search_path = ''
as $$
  delete from public.auth_attempts where id = any(p_ids);
$$;

create or replace function public.auth_throttle_succeeded(
  p_clear_key text,
  p_ids bigint[],
  p_email text,
  p_address text,
  p_at timestamptz,
  p_known_forget_before timestamptz
) returns void
language plpgsql
set search_path = ''
as $$
begin
  delete from public.auth_attempts where key = p_clear_key or id = any(p_ids);
  if p_address is not null then
    insert into public.auth_known_addresses (email, address, last_seen) values (p_email, p_address, p_at)
    on conflict (email, address) do update set last_seen = excluded.last_seen;
    delete from public.auth_known_addresses where last_seen < p_known_forget_before;
  end if;
end;
$$;

revoke all on function public.auth_throttle_record(text[], timestamptz, timestamptz, timestamptz, integer, text, text, timestamptz),
  public.auth_throttle_forget(bigint[]),
  public.auth_throttle_succeeded(text, bigint[], text, text, timestamptz, timestamptz)
  from public, anon, authenticated;
grant execute on function public.auth_throttle_record(text[], timestamptz, timestamptz, timestamptz, integer, text, text, timestamptz),
  public.auth_throttle_forget(bigint[]),
  public.auth_throttle_succeeded(text, bigint[], text, text, timestamptz, timestamptz)
  to service_role;
